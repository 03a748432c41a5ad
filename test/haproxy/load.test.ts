/** Real HAProxy 2.6 under a small load: 20 runtime changes without a failed request, and the
 *  time from a change to the first request served by a new server (runtime vs reload). */
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { describe, it } from 'node:test';
import { httpGet, startBackend, startFixture, type BackendSpec, type Fixture, type TestBackend } from './harness.ts';

type Backends = Record<string, BackendSpec>;
const srv = (name: string, b: TestBackend, id: number) => ({ name, port: b.port, id });

/** The i-th of 20 desired states: be_a always keeps at least one server; hosts come and go. */
function state(i: number, A: TestBackend[], C: TestBackend): { backends: Backends; map: Record<string, string> } {
  const pool = [srv('a1', A[0], 1), srv('a2', A[1], 2), srv('a3', A[2], 3)];
  const keep = pool.filter((_, k) => k === i % 3 || (i + k) % 2 === 0);
  const map: Record<string, string> = { 'load.example': 'be_a', 'c.example': 'be_c' };
  for (let h = 0; h < (i % 4) + 1; h++) map[`h${(i + h) % 5}.example`] = h % 2 ? 'be_a' : 'be_c';
  return { backends: { be_a: { servers: keep }, be_c: { servers: [srv('c1', C, 1)] } }, map };
}

interface LoadStats {
  ok: number;
  failed: number;
  errors: string[];
}

async function loadWorker(f: Fixture, agent: Agent | undefined, s: LoadStats, keepGoing: () => boolean): Promise<void> {
  while (keepGoing()) {
    try {
      const r = await httpGet(f.port, 'load.example', agent);
      if (r.status === 200 && /^A[0-2]$/.test(r.body)) s.ok++;
      else {
        s.failed++;
        s.errors.push(`${r.status} ${r.body}`);
      }
    } catch (e) {
      s.failed++;
      s.errors.push(String(e));
    }
  }
}

/** Time from the start of apply() until `host` is first answered by `body`. */
async function timeToFirst(f: Fixture, host: string, body: string, change: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  let seen = 0;
  let done = false;
  const poll = (async () => {
    while (!done) {
      const r = await httpGet(f.port, host).catch(() => undefined);
      if (r?.body === body) {
        seen = performance.now();
        return;
      }
    }
  })();
  await change();
  const deadline = setTimeout(() => (done = true), 10_000);
  await poll;
  clearTimeout(deadline);
  done = true;
  assert.ok(seen > 0, `${host} never answered ${body}`);
  return seen - t0;
}

describe('haproxy under load', () => {
  it('20 server/map changes during 2,000+ requests (keep-alive and new connections): 0 failed, 0 reloads', async (t) => {
    const A = await Promise.all(['A0', 'A1', 'A2'].map((n) => startBackend(t, n)));
    const C = await startBackend(t, 'C');
    const s0 = state(0, A, C);
    const f = await startFixture(t, { backends: s0.backends }, s0.map);
    const stats: LoadStats = { ok: 0, failed: 0, errors: [] };
    let changing = true;
    const keepGoing = (): boolean => (changing || stats.ok + stats.failed < 2000) && stats.ok + stats.failed < 20_000;
    const agents = [new Agent({ keepAlive: true, maxSockets: 1 }), new Agent({ keepAlive: true, maxSockets: 1 })];
    t.after(() => agents.forEach((a) => a.destroy()));
    const load = Promise.all([...agents, undefined, undefined].map((a) => loadWorker(f, a, stats, keepGoing)));
    const methods: string[] = [];
    const durations: number[] = [];
    try {
      for (let i = 1; i <= 20; i++) {
        const s = state(i, A, C);
        const r = await f.ctl.apply({ install: () => f.write({ backends: s.backends }, s.map) });
        assert.equal(r.ok, true, r.reason);
        methods.push(r.method);
        durations.push(r.durationMs);
      }
    } finally {
      changing = false;
      await load;
    }
    t.diagnostic(`requests ok=${stats.ok} failed=${stats.failed}; methods=${methods.join(",")}; apply ms=${durations.join(",")}; counters=${JSON.stringify(f.ctl.counters)}`);
    assert.deepEqual(stats.errors.slice(0, 5), []);
    assert.equal(stats.failed, 0);
    assert.ok(stats.ok >= 2000);
    assert.ok(methods.every((m) => m === 'runtime' || m === 'none') && methods.filter((m) => m === 'runtime').length >= 18, methods.join());
    assert.equal(f.ctl.counters.reloads, 0);
    assert.equal((await f.ctl.supervisor.showProc()).reloads, 0);
    const served = A.map((b) => b.hits);
    assert.ok(served.every((h) => h > 0), `every server took traffic: ${served}`);
  });

  it('measures change → first request served by a new server: runtime vs reload', async (t) => {
    const [A, N, R] = await Promise.all(['A', 'NEW-RUNTIME', 'NEW-RELOAD'].map((n) => startBackend(t, n)));
    const base: Backends = { be_a: { servers: [srv('a1', A, 1)] }, be_n: { servers: [] } };
    const map = { 'a.example': 'be_a', 'n.example': 'be_n' };
    const f = await startFixture(t, { backends: base }, map, { minReloadIntervalMs: 0 });
    const runtimeMs = await timeToFirst(f, 'n.example', 'NEW-RUNTIME', async () => {
      const r = await f.ctl.apply({ install: () => f.write({ backends: { ...base, be_n: { servers: [srv('n1', N, 1)] } } }, map) });
      assert.equal(r.method, 'runtime');
    });
    const next: Backends = { ...base, be_n: { servers: [srv('n1', N, 1)] }, be_r: { servers: [srv('r1', R, 1)] } };
    const reloadMs = await timeToFirst(f, 'r.example', 'NEW-RELOAD', async () => {
      const r = await f.ctl.apply({ install: () => f.write({ backends: next }, { ...map, 'r.example': 'be_r' }) });
      assert.equal(r.method, 'reload');
    });
    t.diagnostic(`change → first request on the new server: runtime ${runtimeMs.toFixed(1)} ms, reload ${reloadMs.toFixed(1)} ms`);
    assert.ok(runtimeMs > 0 && reloadMs > 0);
    const direct = await httpGet(f.port, 'n.example');
    assert.equal(direct.body, 'NEW-RUNTIME');
  });
});
