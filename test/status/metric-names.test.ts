import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FAILURE_STEPS, GUARD_REASONS, RENDER_RESULTS, createMetrics } from '../../src/status/metrics.ts';
import { parseExposition, valueOf, worker } from './fakes.ts';

const DOCS = join(import.meta.dirname, '..', '..', 'docs', 'status.md');

function fullMetrics(skips: Array<{ resource: string; reason: string; count: number }>) {
  return createMetrics({
    defaultMetrics: false,
    resources: ['web', 'api'],
    status: () => [worker({ resource: 'web' }), worker({ resource: 'api' })],
    haproxy: () => ({ counters: { runtimeApplies: 0, runtimeCommands: 0, runtimeFailures: 0, reloads: 0, reloadFailures: 0, restarts: 0, noops: 0 } }),
    build: { version: '9.9.9', node: 'v20.0.0', haproxy: () => '2.6.12' },
    skips: () => skips,
    haproxyState: () => ({ up: true, lastReloadAt: 1_700_000_000_000 }),
  });
}

describe('metric names', () => {
  it('follow Prometheus conventions: counters end in _total, no singular install_total, result="changed"', async () => {
    const e = parseExposition(await fullMetrics([]).metricsText());
    for (const [name, type] of e.type) {
      if (type === 'counter') assert.match(name, /^keyplate_[a-z_]+_total$/, name);
      else assert.doesNotMatch(name, /_total$/, `${name} is a ${type}`);
    }
    assert.equal(e.type.get('keyplate_installs_total'), 'counter');
    assert.equal(e.type.get('keyplate_install_total'), undefined);
    assert.ok(!e.samples.some((s) => s.labels.result === 'ok'), 'no result="ok": it means changed');
    assert.equal(valueOf(e, 'keyplate_build_info', { version: '9.9.9', node: 'v20.0.0', haproxy: '2.6.12' }), 1);
    assert.equal(valueOf(e, 'keyplate_haproxy_up'), 1);
    assert.equal(valueOf(e, 'keyplate_haproxy_last_reload_timestamp_seconds'), 1_700_000_000);
  });

  it('exports every counter at 0 for every known label set before anything happens', async () => {
    const e = parseExposition(await fullMetrics([]).metricsText());
    for (const resource of ['web', 'api']) {
      for (const result of RENDER_RESULTS) assert.equal(valueOf(e, 'keyplate_renders_total', { resource, result }), 0, `${resource} ${result}`);
      for (const step of FAILURE_STEPS) assert.equal(valueOf(e, 'keyplate_failures_total', { resource, step }), 0, `${resource} ${step}`);
      for (const reason of GUARD_REASONS) assert.equal(valueOf(e, 'keyplate_guard_refusals_total', { resource, reason }), 0);
      for (const name of ['keyplate_installs_total', 'keyplate_check_failures_total', 'keyplate_reload_failures_total']) assert.equal(valueOf(e, name, { resource }), 0, `${name} ${resource}`);
    }
    for (const method of ['runtime', 'reload', 'none']) assert.equal(valueOf(e, 'keyplate_haproxy_applies_total', { method }), 0);
  });

  it('counts skipped items by resource and reason, back to 0 when they are gone', async () => {
    let skips = [{ resource: 'web', reason: 'bad address', count: 2 }];
    const m = createMetrics({ defaultMetrics: false, skips: () => skips });
    assert.equal(valueOf(parseExposition(await m.metricsText()), 'keyplate_skipped_items', { resource: 'web', reason: 'bad address' }), 2);
    skips = [];
    assert.equal(valueOf(parseExposition(await m.metricsText()), 'keyplate_skipped_items', { resource: 'web', reason: 'bad address' }), 0);
  });

  it('every metric named in the docs (table and example alerts) is exported', async () => {
    const doc = await readFile(DOCS, 'utf8');
    const e = parseExposition(await fullMetrics([{ resource: 'web', reason: 'bad address', count: 1 }]).metricsText());
    const families = new Set([...e.type.keys()]);
    const exported = (name: string) => families.has(name) || families.has(name.replace(/_(bucket|sum|count)$/, ''));
    const alerts = [...doc.matchAll(/^\s*expr:\s*(.+)$/gm)].map((m) => m[1]);
    assert.ok(alerts.length >= 3, 'the docs have example alerts');
    for (const expr of alerts) for (const [name] of expr.matchAll(/keyplate_[a-z_]+/g)) assert.ok(exported(name), `alert expression ${expr}: ${name} is not exported`);
    const table = [...doc.matchAll(/^\| `(keyplate_[a-z_]+)` \|/gm)].map((m) => m[1]);
    assert.ok(table.length > 10);
    for (const name of table) assert.ok(exported(name), `docs table: ${name} is not exported`);
  });
});
