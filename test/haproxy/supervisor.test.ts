/** Real HAProxy 2.6: supervision (start/stop/restart) and reloads through the master socket. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { httpGet, isAlive, startBackend, startFixture } from './harness.ts';

describe('haproxy supervision', () => {
  it('start() waits for a worker; stop() drains and leaves no process behind', async (t) => {
    const a = await startBackend(t, 'A');
    const f = await startFixture(t, { backends: { be_a: { servers: [{ name: 'a1', port: a.port, id: 1 }] } } }, { 'a.example': 'be_a' });
    assert.equal((await httpGet(f.port, 'a.example')).body, 'A');
    const proc = await f.ctl.supervisor.showProc();
    const pids = [proc.masterPid, ...proc.workers];
    assert.equal(pids.length, 2);
    for (const p of pids) assert.ok(await isAlive(p), `pid ${p} alive while running`);
    await f.ctl.stop({ timeoutMs: 5000 });
    assert.equal(f.ctl.supervisor.state, 'stopped');
    for (const p of pids) assert.equal(await isAlive(p), false, `pid ${p} still running after stop()`);
    await f.ctl.closed; // resolves on a requested stop
    await assert.rejects(httpGet(f.port, 'a.example'), /ECONNREFUSED/);
  });

  it('reload() goes through the master socket and is confirmed by show proc', async (t) => {
    const a = await startBackend(t, 'A');
    const spec = { backends: { be_a: { servers: [{ name: 'a1', port: a.port, id: 1 }] } } };
    const f = await startFixture(t, spec, { 'a.example': 'be_a' });
    const before = await f.ctl.supervisor.showProc();
    assert.equal((await httpGet(f.port, 'a.example')).gen, 'g1');
    await f.write({ ...spec, gen: 'g2' }, { 'a.example': 'be_a' });
    const r = await f.ctl.reload();
    assert.equal(r.ok, true, r.message);
    assert.ok(r.newWorkerPid && !before.workers.includes(r.newWorkerPid));
    const after = await f.ctl.supervisor.showProc();
    assert.equal(after.reloads, before.reloads + 1);
    assert.deepEqual(after.workers, [r.newWorkerPid]);
    assert.equal((await httpGet(f.port, 'a.example')).gen, 'g2');
    assert.equal(f.ctl.counters.reloads, 1);
  });

  it('reloads are coalesced: a burst of requests shares one reload', async (t) => {
    const a = await startBackend(t, 'A');
    const spec = { backends: { be_a: { servers: [{ name: 'a1', port: a.port, id: 1 }] } } };
    const f = await startFixture(t, spec, { 'a.example': 'be_a' }, { minReloadIntervalMs: 1000 });
    const first = await f.ctl.reload();
    assert.equal(first.ok, true, first.message);
    const burst = await Promise.all(Array.from({ length: 5 }, () => f.ctl.reload()));
    assert.ok(burst.every((r) => r.ok && r.newWorkerPid === burst[0].newWorkerPid && r.merged === 5));
    assert.equal((await f.ctl.supervisor.showProc()).reloads, 2);
    assert.equal(f.ctl.counters.reloads, 2);
  });

  for (const check of [true, false]) {
    it(`a config HAProxy rejects: reload reports HAProxy's message, the old worker keeps serving (check first: ${check})`, async (t) => {
      const a = await startBackend(t, 'A');
      const spec = { backends: { be_a: { servers: [{ name: 'a1', port: a.port, id: 1 }] } } };
      const f = await startFixture(t, spec, { 'a.example': 'be_a' }, { checkBeforeReload: check });
      const before = await f.ctl.supervisor.showProc();
      await f.write({ ...spec, gen: 'bad', frontendExtra: ['http-request set-header X-Pid %[pid]'] }, { 'a.example': 'be_a' });
      const r = await f.ctl.reload();
      assert.equal(r.ok, false);
      assert.match(r.message, /unknown fetch method 'pid'/);
      assert.equal(r.newWorkerPid, before.workers[0]);
      const reply = await httpGet(f.port, 'a.example');
      assert.deepEqual([reply.status, reply.body, reply.gen], [200, 'A', 'g1']);
      const after = await f.ctl.supervisor.showProc();
      assert.deepEqual(after.workers, before.workers);
      if (!check) assert.equal(after.failed, 1);
      assert.equal(f.ctl.counters.reloadFailures, 1);
      // the caller restores its last-known-good files; the next reload succeeds
      await f.write(spec, { 'a.example': 'be_a' });
      const ok = await f.ctl.reload({ force: true });
      assert.equal(ok.ok, true, ok.message);
    });
  }

  it('SIGKILL of the master: restarted within 2 s and traffic resumes', async (t) => {
    const a = await startBackend(t, 'A');
    const f = await startFixture(t, { backends: { be_a: { servers: [{ name: 'a1', port: a.port, id: 1 }] } } }, { 'a.example': 'be_a' });
    const old = await f.ctl.supervisor.showProc();
    process.kill(old.masterPid, 'SIGKILL');
    const info = await waitFor(async () => {
      const p = await f.ctl.supervisor.showProc().catch(() => undefined);
      return p && p.masterPid !== old.masterPid && p.workers.length > 0 ? p : undefined;
    }, { timeoutMs: 2000, intervalMs: 25, message: 'a new master with a worker' });
    assert.notEqual(info.masterPid, old.masterPid);
    const reply = await waitFor(() => httpGet(f.port, 'a.example').then((r) => (r.status === 200 ? r : undefined)), { timeoutMs: 5000, message: 'traffic through the restarted haproxy' });
    assert.equal(reply.body, 'A');
    await waitFor(() => f.ctl.supervisor.state === 'running', { timeoutMs: 5000 });
    assert.equal(f.ctl.counters.restarts, 1);
    for (const p of [old.masterPid, ...old.workers]) await waitFor(async () => !(await isAlive(p)), { timeoutMs: 10_000, message: `old pid ${p} gone` });
  });

  it('reports failure when HAProxy cannot be kept up', async (t) => {
    const a = await startBackend(t, 'A');
    const spec = { backends: { be_a: { servers: [{ name: 'a1', port: a.port, id: 1 }] } } };
    const f = await startFixture(t, spec, { 'a.example': 'be_a' }, { restart: { baseMs: 10, maxMs: 50, maxRestarts: 2, windowMs: 60_000 } });
    const failed = new Promise<Error>((resolve) => f.ctl.once('failed', resolve));
    await writeFile(f.cfgPath, 'global\n    this-is-not-a-keyword\n');
    process.kill((await f.ctl.supervisor.showProc()).masterPid, 'SIGKILL');
    const err = await failed;
    assert.match(err.message, /giving up/);
    await assert.rejects(f.ctl.closed, /giving up/);
    assert.equal(f.ctl.supervisor.state, 'failed');
    const r = await f.ctl.apply();
    assert.equal(r.method, 'none');
    assert.match(r.reason, /failed/);
  });
});
