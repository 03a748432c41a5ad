import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackendError, ResourceError } from '../../src/errors.ts';
import type { HaproxyCounters } from '../../src/haproxy/controller.ts';
import { CommandStepError } from '../../src/pipeline/step-error.ts';
import { GuardError } from '../../src/runner/guard.ts';
import { createMetrics, failureStep } from '../../src/status/metrics.ts';
import { failedCycle, okCycle, parseExposition, source, valueOf, worker } from './fakes.ts';

const NO_DEFAULTS = { defaultMetrics: false } as const;

const ZERO: HaproxyCounters = { runtimeApplies: 0, runtimeCommands: 0, runtimeFailures: 0, reloads: 0, reloadFailures: 0, restarts: 0, noops: 0 };
const checkResult = { command: 'haproxy -c', exitCode: 1, signal: null, timedOut: false, stdout: '', stderr: 'bad', durationMs: 5 };

describe('createMetrics', () => {
  it('exposes HELP/TYPE for every keyplate family and valid text', async () => {
    const m = createMetrics(NO_DEFAULTS);
    m.observeCycle(okCycle('web', 1, 20));
    m.updateStatus([worker({ resource: 'web', renders: 1, lastSuccessAt: 1_000_000 })], 1_000_500);
    m.updateHaproxy(ZERO);
    m.observeCycle(failedCycle('web', new GuardError('web', { reason: 'empty', backend: 'etcd', prefix: '/services' }, '/services on etcd is empty'), 1));
    const e = parseExposition(await m.metricsText());
    const expected: Record<string, string> = {
      keyplate_renders_total: 'counter',
      keyplate_render_duration_seconds: 'histogram',
      keyplate_check_failures_total: 'counter',
      keyplate_reload_failures_total: 'counter',
      keyplate_installs_total: 'counter',
      keyplate_failures_total: 'counter',
      keyplate_last_success_timestamp_seconds: 'gauge',
      keyplate_resource_up: 'gauge',
      keyplate_backend_connected: 'gauge',
      keyplate_backend_revision: 'gauge',
      keyplate_backend_last_sync_timestamp_seconds: 'gauge',
      keyplate_watch_lag_seconds: 'gauge',
      keyplate_haproxy_applies_total: 'counter',
      keyplate_haproxy_runtime_commands_total: 'counter',
      keyplate_haproxy_runtime_failures_total: 'counter',
      keyplate_haproxy_reload_failures_total: 'counter',
      keyplate_haproxy_restarts_total: 'counter',
      keyplate_guard_refusals_total: 'counter',
    };
    for (const [name, type] of Object.entries(expected)) {
      assert.equal(e.type.get(name), type, `TYPE of ${name}`);
      assert.ok((e.help.get(name) ?? '').length > 10, `HELP of ${name}`);
    }
    assert.equal(m.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(valueOf(e, 'keyplate_guard_refusals_total', { resource: 'web', reason: 'empty' }), 1);
  });

  it('counts ok, unchanged and failed cycles, installs and failure steps', async () => {
    const m = createMetrics(NO_DEFAULTS);
    m.observeCycle(okCycle('web', 2, 30, 3)); // two of three files replaced
    m.observeCycle(okCycle('web', 0, 10));
    m.observeCycle(okCycle('web', 0, 10));
    const check = new CommandStepError('web', 'check', 'haproxy -c failed', { result: checkResult, template: '/etc/haproxy.cfg' });
    m.observeCycle(failedCycle('web', check, 40));
    let e = parseExposition(await m.metricsText());
    assert.equal(valueOf(e, 'keyplate_renders_total', { resource: 'web', result: 'changed' }), 1);
    assert.equal(valueOf(e, 'keyplate_renders_total', { resource: 'web', result: 'unchanged' }), 2);
    assert.equal(valueOf(e, 'keyplate_renders_total', { resource: 'web', result: 'failed' }), 1);
    assert.equal(valueOf(e, 'keyplate_installs_total', { resource: 'web' }), 2);
    assert.equal(valueOf(e, 'keyplate_check_failures_total', { resource: 'web' }), 1);
    assert.equal(valueOf(e, 'keyplate_failures_total', { resource: 'web', step: 'check' }), 1);
    assert.equal(valueOf(e, 'keyplate_reload_failures_total', { resource: 'web' }), 0, 'zero-initialised');
    assert.equal(valueOf(e, 'keyplate_resource_up', { resource: 'web' }), 0);

    // a repeated rejection (check not re-run) is a failure but not another check run
    m.observeCycle(failedCycle('web', new CommandStepError('web', 'check', 'again', { result: checkResult, repeated: true }), 1));
    m.observeCycle(failedCycle('web', new ResourceError('web', 'reload', 'reload_cmd exited 1'), 1));
    m.observeCycle(failedCycle('web', new BackendError('etcd', 'connection refused'), 1));
    m.observeCycle(failedCycle('api', new Error('bug'), 1));
    e = parseExposition(await m.metricsText());
    assert.equal(valueOf(e, 'keyplate_check_failures_total', { resource: 'web' }), 1);
    assert.equal(valueOf(e, 'keyplate_failures_total', { resource: 'web', step: 'check' }), 2);
    assert.equal(valueOf(e, 'keyplate_failures_total', { resource: 'web', step: 'reload' }), 1);
    assert.equal(valueOf(e, 'keyplate_reload_failures_total', { resource: 'web' }), 1);
    assert.equal(valueOf(e, 'keyplate_failures_total', { resource: 'web', step: 'fetch' }), 1);
    assert.equal(valueOf(e, 'keyplate_failures_total', { resource: 'api', step: 'internal' }), 1);
    assert.equal(valueOf(e, 'keyplate_renders_total', { resource: 'web', result: 'failed' }), 4);

    m.observeCycle(okCycle('web', 1, 5));
    e = parseExposition(await m.metricsText());
    assert.equal(valueOf(e, 'keyplate_resource_up', { resource: 'web' }), 1);
    assert.equal(valueOf(e, 'keyplate_installs_total', { resource: 'web' }), 3);
  });

  it('does not count a cycle cut short by shutdown', async () => {
    const m = createMetrics(NO_DEFAULTS);
    m.observeCycle(failedCycle('web', new DOMException('The operation was aborted', 'AbortError'), 3));
    const e = parseExposition(await m.metricsText());
    assert.equal(valueOf(e, 'keyplate_renders_total', { resource: 'web', result: 'failed' }), 0, 'known, not counted');
    assert.equal(valueOf(e, 'keyplate_render_duration_seconds_count', { resource: 'web' }), undefined);
  });

  it('maps errors to failure steps', () => {
    assert.equal(failureStep(new ResourceError('r', 'guard', 'prefix emptied')), 'guard');
    assert.equal(failureStep(new BackendError('etcd', 'timeout')), 'fetch');
    assert.equal(failureStep('weird'), 'internal');
  });

  it('fills cumulative histogram buckets in seconds', async () => {
    const m = createMetrics(NO_DEFAULTS);
    for (const ms of [3, 40, 40, 700, 12_000]) m.observeCycle(okCycle('web', 0, ms));
    const e = parseExposition(await m.metricsText());
    const bucket = (le: string) => valueOf(e, 'keyplate_render_duration_seconds_bucket', { resource: 'web', le });
    assert.equal(bucket('0.005'), 1);
    assert.equal(bucket('0.025'), 1);
    assert.equal(bucket('0.05'), 3);
    assert.equal(bucket('0.5'), 3);
    assert.equal(bucket('1'), 4);
    assert.equal(bucket('10'), 4);
    assert.equal(bucket('30'), 5);
    assert.equal(bucket('+Inf'), 5);
    assert.equal(valueOf(e, 'keyplate_render_duration_seconds_count', { resource: 'web' }), 5);
    const sum = valueOf(e, 'keyplate_render_duration_seconds_sum', { resource: 'web' }) ?? NaN;
    assert.ok(Math.abs(sum - 12.783) < 1e-9, `sum ${sum}`);
  });

  it('turns cumulative HAProxy counters into increments, without double counting a reset', async () => {
    const m = createMetrics(NO_DEFAULTS);
    const read = async () => parseExposition(await m.metricsText());
    m.updateHaproxy({ ...ZERO, runtimeApplies: 3, runtimeCommands: 7, reloads: 1, noops: 2 });
    m.updateHaproxy({ ...ZERO, runtimeApplies: 3, runtimeCommands: 7, reloads: 1, noops: 2 }); // same snapshot: nothing new
    m.updateHaproxy({ ...ZERO, runtimeApplies: 5, runtimeCommands: 9, reloads: 2, noops: 2, reloadFailures: 1, restarts: 1, runtimeFailures: 1 });
    let e = await read();
    assert.equal(valueOf(e, 'keyplate_haproxy_applies_total', { method: 'runtime' }), 5);
    assert.equal(valueOf(e, 'keyplate_haproxy_applies_total', { method: 'reload' }), 2);
    assert.equal(valueOf(e, 'keyplate_haproxy_applies_total', { method: 'none' }), 2);
    assert.equal(valueOf(e, 'keyplate_haproxy_runtime_commands_total'), 9);
    assert.equal(valueOf(e, 'keyplate_haproxy_runtime_failures_total'), 1);
    assert.equal(valueOf(e, 'keyplate_haproxy_reload_failures_total'), 1);
    assert.equal(valueOf(e, 'keyplate_haproxy_restarts_total'), 1);

    // the controller's counters restarted from zero (a value went down): count from zero again
    m.updateHaproxy({ ...ZERO, runtimeApplies: 1, reloads: 2 });
    e = await read();
    assert.equal(valueOf(e, 'keyplate_haproxy_applies_total', { method: 'runtime' }), 6);
    assert.equal(valueOf(e, 'keyplate_haproxy_applies_total', { method: 'reload' }), 4);

    // a new controller instance counts in full even when its values are not lower
    const a = {};
    const b = {};
    m.updateHaproxy({ ...ZERO, reloads: 3 }, a);
    m.updateHaproxy({ ...ZERO, reloads: 4 }, a);
    m.updateHaproxy({ ...ZERO, reloads: 4 }, b);
    e = await read();
    assert.equal(valueOf(e, 'keyplate_haproxy_applies_total', { method: 'reload' }), 4 + 4 + 4);
  });

  it('pulls status and HAProxy counters from providers at scrape time', async () => {
    let now = 1_000_000;
    let counters = { ...ZERO, reloads: 1 };
    const controller = { get counters() { return counters; } };
    const statuses = [
      worker({
        resource: 'web',
        renders: 2,
        lastSuccessAt: 990_000,
        sources: [
          source({ backend: 'etcd', revision: '42', lastSyncAt: 995_000, connected: true }),
          source({ backend: 'files', kind: 'file', revision: 'sha256:abc', lastSyncAt: 980_000, connected: false, lastError: 'EACCES' }),
        ],
      }),
      worker({ resource: 'never', lastError: 'connection refused', sources: [source({ backend: 'down', connected: false })] }),
    ];
    const m = createMetrics({ defaultMetrics: false, status: () => statuses, haproxy: () => controller, now: () => now });
    let e = parseExposition(await m.metricsText());
    const rb = (backend: string) => ({ resource: 'web', backend });
    assert.equal(valueOf(e, 'keyplate_resource_up', { resource: 'web' }), 1);
    assert.equal(valueOf(e, 'keyplate_resource_up', { resource: 'never' }), 0);
    assert.equal(valueOf(e, 'keyplate_last_success_timestamp_seconds', { resource: 'web' }), 990);
    assert.equal(valueOf(e, 'keyplate_last_success_timestamp_seconds', { resource: 'never' }), undefined);
    assert.equal(valueOf(e, 'keyplate_backend_connected', rb('etcd')), 1);
    assert.equal(valueOf(e, 'keyplate_backend_connected', rb('files')), 0);
    assert.equal(valueOf(e, 'keyplate_backend_revision', rb('etcd')), 42);
    assert.equal(valueOf(e, 'keyplate_backend_revision', rb('files')), undefined);
    assert.equal(valueOf(e, 'keyplate_backend_last_sync_timestamp_seconds', rb('etcd')), 995);
    assert.equal(valueOf(e, 'keyplate_watch_lag_seconds', rb('etcd')), 0);
    assert.equal(valueOf(e, 'keyplate_watch_lag_seconds', rb('files')), 20);
    assert.equal(valueOf(e, 'keyplate_watch_lag_seconds', { resource: 'never', backend: 'down' }), undefined);
    assert.equal(valueOf(e, 'keyplate_haproxy_applies_total', { method: 'reload' }), 1);

    now += 10_000;
    counters = { ...counters, reloads: 3 };
    statuses.pop(); // a resource that went away (config reload) disappears from the gauges
    e = parseExposition(await m.metricsText());
    assert.equal(valueOf(e, 'keyplate_watch_lag_seconds', rb('files')), 30);
    assert.equal(valueOf(e, 'keyplate_haproxy_applies_total', { method: 'reload' }), 3);
    assert.equal(valueOf(e, 'keyplate_resource_up', { resource: 'never' }), undefined);
  });

  it('keeps registries apart and registers process metrics on its own registry only', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.observeCycle(okCycle('web', 1, 1));
    const ea = parseExposition(await a.metricsText());
    const eb = parseExposition(await b.metricsText());
    assert.equal(valueOf(ea, 'keyplate_renders_total', { resource: 'web', result: 'changed' }), 1);
    assert.equal(valueOf(eb, 'keyplate_renders_total', { resource: 'web', result: 'changed' }), undefined);
    assert.ok(ea.type.has('process_cpu_user_seconds_total'));
    assert.ok(ea.type.has('nodejs_eventloop_lag_seconds'));
    const { register } = await import('prom-client');
    assert.equal(register.getSingleMetric('keyplate_renders_total'), undefined);
    assert.equal(register.getSingleMetric('process_cpu_user_seconds_total'), undefined);
  });
});
