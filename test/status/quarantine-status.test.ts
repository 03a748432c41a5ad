/** Quarantined keys in /healthz (listed, value masked, the resource still ok) and in /metrics (a gauge). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { healthReport } from '../../src/status/health.ts';
import { createMetrics } from '../../src/status/metrics.ts';
import { parseExposition, source, valueOf, worker } from './fakes.ts';

const quarantined = [{ key: '/services/web/docker9:bad:80', value: '[::::]:80', reason: 'HAProxy (check): could not resolve address', since: 1000 }];

it('lists quarantined keys in /healthz and counts them in keyplate_quarantined_keys', async () => {
  const statuses = [worker({ resource: 'haproxy', renders: 2, lastSuccessAt: 1000, sources: [source({ lastSyncAt: 1000 })], quarantined }), worker({ resource: 'other', renders: 1, lastSuccessAt: 1000, sources: [source({ lastSyncAt: 1000 })] })];
  const report = healthReport(statuses, 2000, { freshnessMs: 60_000 });
  assert.equal(report.ok, true, 'the resource serves every other change');
  assert.deepEqual(report.resources[0].quarantined, quarantined);
  assert.equal(report.resources[1].quarantined, undefined);
  const metrics = createMetrics({ defaultMetrics: false, status: () => statuses, now: () => 2000 });
  const e = parseExposition(await metrics.metricsText());
  assert.equal(valueOf(e, 'keyplate_quarantined_keys', { resource: 'haproxy' }), 1);
  assert.equal(valueOf(e, 'keyplate_quarantined_keys', { resource: 'other' }), 0);
});
