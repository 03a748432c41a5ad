/** A data guard's hold in /healthz (degraded, naming the prefix, still ok), /metrics (a gauge, a counted hold) and /status (a problem). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { GuardHold } from '../../src/runner/guard.ts';
import { healthReport } from '../../src/status/health.ts';
import { createMetrics } from '../../src/status/metrics.ts';
import { parseExposition, source, valueOf, worker } from './fakes.ts';

const hold: GuardHold = { backend: 'etcd', prefix: '/hosts', reason: 'empty', message: '/hosts on etcd is empty but had 5 keys at the last install (guard_empty); holding its last good values', before: 5, now: 0, since: 1000 };

it('reports a held prefix as degraded in /healthz and counts it in /metrics', async () => {
  const statuses = [worker({ resource: 'haproxy', renders: 2, lastSuccessAt: 1000, sources: [source({ lastSyncAt: 1000 })], guards: [hold] }), worker({ resource: 'other', renders: 1, lastSuccessAt: 1000, sources: [source({ lastSyncAt: 1000 })] })];
  const report = healthReport(statuses, 2000, { freshnessMs: 60_000 });
  assert.equal(report.ok, true, 'the resource serves every other change');
  assert.equal(report.degraded, true);
  assert.match(report.resources[0].degraded ?? '', /^data guard holds \/hosts on etcd: \/hosts on etcd is empty but had 5 keys/);
  assert.deepEqual(report.resources[0].guarded, [hold]);
  assert.equal(report.resources[1].degraded, undefined);
  assert.equal(healthReport([statuses[1]], 2000, { freshnessMs: 60_000 }).degraded, undefined);

  const metrics = createMetrics({ defaultMetrics: false, status: () => statuses, now: () => 2000 });
  metrics.observeCycle({ resource: 'haproxy', ok: true, durationMs: 5, result: { changed: false, wouldChange: false, templates: [] } as never, guardHolds: [hold] });
  const e = parseExposition(await metrics.metricsText());
  assert.equal(valueOf(e, 'keyplate_guard_held_prefixes', { resource: 'haproxy' }), 1);
  assert.equal(valueOf(e, 'keyplate_guard_held_prefixes', { resource: 'other' }), 0);
  assert.equal(valueOf(e, 'keyplate_guard_refusals_total', { resource: 'haproxy', reason: 'empty' }), 1);
});
