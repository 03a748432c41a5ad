import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthReport, sourceLagMs } from '../../src/status/health.ts';
import { source, worker } from './fakes.ts';

const WINDOW = { freshnessMs: 60_000 };
const T0 = 1_700_000_000_000;

describe('healthReport', () => {
  it('is not ok until the resource rendered once, then ok while its backend is fresh', () => {
    const never = healthReport([worker({ sources: [source({ lastSyncAt: T0 })], lastError: 'render failed: key does not exist: /x' })], T0, WINDOW);
    assert.equal(never.ok, false);
    assert.equal(never.resources[0].ok, false);
    assert.equal(never.resources[0].reason, 'has not rendered successfully yet: render failed: key does not exist: /x');

    const fresh = healthReport([worker({ renders: 1, lastSuccessAt: T0, sources: [source({ lastSyncAt: T0, revision: '7' })] })], T0 + 5_000, WINDOW);
    assert.equal(fresh.ok, true);
    assert.deepEqual(fresh.resources[0].sources.map((s) => [s.backend, s.ok, s.lagMs, s.revision]), [['etcd', true, 0, '7']]);
    assert.equal(fresh.resources[0].reason, undefined);
  });

  it('walks fresh → disconnected within the window → stale → recovered', () => {
    const at = (now: number, s: Parameters<typeof source>[0]) =>
      healthReport([worker({ renders: 3, lastSuccessAt: T0, sources: [source(s)] })], now, WINDOW);

    // connected: a quiet watch stays current however long ago the last change was
    assert.equal(at(T0 + 3_600_000, { lastSyncAt: T0, connected: true }).ok, true);

    // lost the connection 30 s after the last sync: still inside the window
    const blip = at(T0 + 30_000, { lastSyncAt: T0, connected: false, lastError: 'connection refused' });
    assert.equal(blip.ok, true);
    assert.equal(blip.resources[0].sources[0].lagMs, 30_000);
    assert.equal(blip.resources[0].sources[0].lastError, 'connection refused');

    const stale = at(T0 + 95_000, { lastSyncAt: T0, connected: false, lastError: 'connection refused' });
    assert.equal(stale.ok, false);
    assert.equal(stale.resources[0].reason, 'backend etcd has not synced for 95 s (window 60 s): connection refused');
    assert.equal(stale.resources[0].sources[0].ok, false);

    const back = at(T0 + 96_000, { lastSyncAt: T0 + 96_000, connected: true });
    assert.equal(back.ok, true);
  });

  it('reports every failing resource and backend, and keeps healthy ones ok', () => {
    const report = healthReport(
      [
        worker({ resource: 'ok', renders: 1, lastSuccessAt: T0, lastError: 'check failed', sources: [source({ lastSyncAt: T0 })] }),
        worker({
          resource: 'bad',
          renders: 1,
          lastSuccessAt: T0,
          sources: [
            source({ backend: 'etcd', lastSyncAt: T0 - 120_000, connected: false }),
            source({ backend: 'rancher', kind: 'rancher', connected: false, lastError: 'ECONNREFUSED' }),
          ],
        }),
      ],
      T0,
      WINDOW,
    );
    assert.equal(report.ok, false);
    const [good, bad] = report.resources;
    assert.equal(good.ok, true, 'a failed last cycle keeps the last good render installed');
    assert.equal(good.lastError, 'check failed');
    assert.equal(bad.ok, false);
    assert.equal(bad.reason, 'backend etcd has not synced for 120 s (window 60 s); backend rancher has never synced: ECONNREFUSED');
  });

  it('computes the lag a disconnected backend has', () => {
    assert.equal(sourceLagMs(source({ connected: false }), T0), undefined);
    assert.equal(sourceLagMs(source({ connected: true, lastSyncAt: T0 - 5_000 }), T0), 0);
    assert.equal(sourceLagMs(source({ connected: false, lastSyncAt: T0 - 5_000 }), T0), 5_000);
    assert.equal(sourceLagMs(source({ connected: false, lastSyncAt: T0 + 5_000 }), T0), 0, 'a clock step back is not negative lag');
  });

  it('is ok with no resources and survives JSON', () => {
    const r = healthReport([], T0, WINDOW);
    assert.equal(r.ok, true);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), { ok: true, now: T0, freshnessMs: 60_000, resources: [] });
  });
});
