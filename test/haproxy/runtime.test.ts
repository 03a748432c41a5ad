/** Real HAProxy 2.6: changes applied through the Runtime API without reloads, and what reloads. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliCommand } from '../../src/haproxy/runtime-socket.ts';
import { waitFor } from '../helpers/wait.ts';
import { httpGet, startBackend, startFixture, type BackendSpec, type Fixture, type TestBackend } from './harness.ts';

type Backends = Record<string, BackendSpec>;
const srv = (name: string, b: TestBackend, id: number, opts?: string) => ({ name, port: b.port, id, opts });

async function apply(f: Fixture, backends: Backends, map: Record<string, string>, expected: 'runtime' | 'reload') {
  const r = await f.ctl.apply({ install: () => f.write({ backends }, map) });
  assert.equal(r.ok, true, `${r.reason} ${r.runtime?.error ?? ''}`);
  assert.equal(r.method, expected, r.reason);
  return r;
}

/** Bodies of `n` sequential requests for `host`. */
async function bodies(f: Fixture, host: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await httpGet(f.port, host)).body);
  return out;
}

describe('haproxy runtime API', () => {
  it('server add/del and map add/set/del change routing with 0 reloads', async (t) => {
    const [A, B, C] = await Promise.all(['A', 'B', 'C'].map((n) => startBackend(t, n)));
    let be: Backends = { be_a: { servers: [srv('a1', A, 1)] }, be_c: { servers: [srv('c1', C, 1)] } };
    let map: Record<string, string> = { 'a.example': 'be_a' };
    const f = await startFixture(t, { backends: be }, map);
    const worker = (await f.ctl.supervisor.showProc()).workers[0];

    be = { ...be, be_a: { servers: [srv('a1', A, 1), srv('a2', B, 2, 'weight 10')] } };
    const added = await apply(f, be, map, 'runtime');
    assert.ok(added.commands.includes(`set server be_a/a2 state ready`));
    await waitFor(async () => (await bodies(f, 'a.example', 4)).includes('B'), { timeoutMs: 5000, message: 'B serving a.example' });

    be = { ...be, be_a: { servers: [srv('a2', B, 2, 'weight 10')] } };
    await apply(f, be, map, 'runtime');
    assert.deepEqual(new Set(await bodies(f, 'a.example', 6)), new Set(['B']));

    map = { ...map, 'c.example': 'be_c' };
    await apply(f, be, map, 'runtime');
    assert.equal((await httpGet(f.port, 'c.example')).body, 'C');

    map = { ...map, 'a.example': 'be_c' };
    await apply(f, be, map, 'runtime');
    assert.equal((await httpGet(f.port, 'a.example')).body, 'C');

    const { ['c.example']: _gone, ...rest } = map;
    map = rest;
    await apply(f, be, map, 'runtime');
    assert.equal((await httpGet(f.port, 'c.example')).status, 404);

    const same = await f.ctl.apply({ install: () => f.write({ backends: be }, map) });
    assert.deepEqual([same.method, same.reason], ['none', 'no change']);
    const c = f.ctl.counters;
    assert.deepEqual([c.reloads, c.runtimeApplies, c.runtimeFailures, c.noops], [0, 5, 0, 1]);
    const proc = await f.ctl.supervisor.showProc();
    assert.equal(proc.reloads, 0);
    assert.deepEqual(proc.workers, [worker]);
  });

  it('a bulk map change is swapped atomically (prepare/add @v/commit) without a reload', async (t) => {
    const [A, B] = await Promise.all(['A', 'B'].map((n) => startBackend(t, n)));
    const be: Backends = { be_a: { servers: [srv('a1', A, 1)] }, be_b: { servers: [srv('b1', B, 1)] } };
    const f = await startFixture(t, { backends: be }, { 'a.example': 'be_a' });
    const map: Record<string, string> = {};
    for (let i = 0; i < 800; i++) map[`host-${i}.example.com`] = i % 2 ? 'be_a' : 'be_b';
    const r = await apply(f, be, map, 'runtime');
    assert.match(r.reason, /replaced atomically \(800 entries\)/);
    assert.ok(r.runtime && r.runtime.commandsSent >= 4, 'prepare + at least 2 payload chunks + commit');
    assert.equal((await httpGet(f.port, 'host-799.example.com')).body, 'A');
    assert.equal((await httpGet(f.port, 'host-0.example.com')).body, 'B');
    assert.equal((await httpGet(f.port, 'a.example')).status, 404);
    assert.equal((await f.ctl.supervisor.showProc()).reloads, 0);
  });

  it('a new backend reloads (and the new host routes to it)', async (t) => {
    const [A, B] = await Promise.all(['A', 'B'].map((n) => startBackend(t, n)));
    const be: Backends = { be_a: { servers: [srv('a1', A, 1)] } };
    const f = await startFixture(t, { backends: be }, { 'a.example': 'be_a' });
    const r = await apply(f, { ...be, be_b: { servers: [srv('b1', B, 1)] } }, { 'a.example': 'be_a', 'b.example': 'be_b' }, 'reload');
    assert.deepEqual(r.reasons, ['new backend be_b', '(1 runtime-capable change(s) are included in the reload)']);
    assert.equal((await httpGet(f.port, 'b.example')).body, 'B');
    assert.equal(f.ctl.counters.reloads, 1);
    assert.equal((await f.ctl.supervisor.showProc()).reloads, 1);
    // a server in a static-rr backend cannot be added at runtime either
    const st = await apply(f, { ...be, be_b: { servers: [srv('b1', B, 1)] }, be_s: { balance: 'static-rr', servers: [] } }, { 'a.example': 'be_a' }, 'reload');
    assert.ok(st.ok);
    const st2 = await apply(f, { ...be, be_b: { servers: [srv('b1', B, 1)] }, be_s: { balance: 'static-rr', servers: [srv('s1', A, 1)] } }, { 'a.example': 'be_a' }, 'reload');
    assert.match(st2.reason, /static-rr is not dynamic/);
    assert.equal(f.ctl.counters.reloads, 3);
  });

  it('a runtime command that fails, or a read-back that differs, falls back to a reload', async (t) => {
    const [A, B] = await Promise.all(['A', 'B'].map((n) => startBackend(t, n)));
    const be: Backends = { be_a: { servers: [srv('a1', A, 1), srv('a2', B, 2)] } };
    const f = await startFixture(t, { backends: be }, { 'a.example': 'be_a' });
    const admin = `${f.dir}/admin.sock`;
    // drift behind keyplate's back: a2 deleted at runtime, then the files change a2's weight
    await cliCommand(admin, 'set server be_a/a2 state maint');
    assert.equal((await cliCommand(admin, 'del server be_a/a2')).trim(), 'Server deleted.');
    const r = await apply(f, { be_a: { servers: [srv('a1', A, 1), srv('a2', B, 2, 'weight 5')] } }, { 'a.example': 'be_a' }, 'reload');
    assert.match(r.reason, /runtime apply failed.*No such server/);
    assert.ok(r.reload?.ok);
    await waitFor(async () => (await bodies(f, 'a.example', 4)).includes('B'), { timeoutMs: 5000, message: 'a2 back after the reload' });
    // a duplicate map entry added behind keyplate's back is caught by the read-back
    await cliCommand(admin, `add map ${f.mapPath} a.example be_a`);
    const r2 = await apply(f, { be_a: { servers: [srv('a1', A, 1), srv('a2', B, 2, 'weight 5')] } }, { 'a.example': 'be_a', 'x.example': 'be_a' }, 'reload');
    assert.match(r2.reason, /read-back: map/);
    const c = f.ctl.counters;
    assert.deepEqual([c.runtimeFailures, c.reloads], [2, 2]);
  });
});
