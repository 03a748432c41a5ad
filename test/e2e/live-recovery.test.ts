/**
 * examples/etcd-haproxy end to end (real etcd v3 keyspace, real HAProxy, keyplate as a child
 * process): a template edit HAProxy rejects never reaches the running worker and is reported with
 * HAProxy's own message, fixing it recovers without a restart; a SIGKILLed HAProxy master is
 * restarted within 2 s and serves again. Nothing of HAProxy is left after keyplate stops.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FayrusRegistrator } from '../helpers/registrator.ts';
import { v3Client } from '../helpers/etcd.ts';
import { waitFor } from '../helpers/wait.ts';
import { httpGet, startBackend, type TestBackend } from '../haproxy/harness.ts';
import { startStack, type LiveStack } from '../helpers/live-stack.ts';
import { haproxyPids } from '../helpers/procs.ts';
import { startLoad } from './live-load.ts';

const BAD_LINE = '    this-is-not-a-keyword on';

/** web = W1 behind www.example.com, written the way fayrus/registrator (etcd v3) does. */
async function webStack(t: Parameters<typeof startStack>[0], w1: TestBackend, copy: boolean): Promise<{ stack: LiveStack; reg: FayrusRegistrator }> {
  let reg!: FayrusRegistrator;
  const stack = await startStack(t, {
    copy,
    env: { LOG_LEVEL: 'debug' }, // a repeated failure is logged at debug only
    seed: async (etcd) => {
      const client = v3Client(t, etcd.clientUrl);
      reg = new FayrusRegistrator(client, { prefix: '/services' });
      await reg.register({ name: 'web', id: 'docker1:web.1:80', ip: '127.0.0.1', port: w1.port });
      await client.put('/hosts/www.example.com').value('web');
    },
  });
  return { stack, reg };
}

async function serves(stack: LiveStack, host: string, body: string): Promise<boolean> {
  const r = await httpGet(stack.port, host).catch(() => undefined);
  return r?.status === 200 && r.body === body;
}

/** SIGTERM keyplate: it exits 0 and no HAProxy process of this test is left. */
async function stopAndCheck(stack: LiveStack): Promise<void> {
  const exit = await stack.keyplate.stop();
  assert.deepEqual(exit, { code: 0, signal: null }, 'keyplate exits 0 on SIGTERM');
  await waitFor(async () => (await haproxyPids(stack.dir)).length === 0, { timeoutMs: 5_000, message: 'no HAProxy process left' });
}

describe('etcd-haproxy example: failures', () => {
  it('a template HAProxy rejects: the old worker keeps serving, HAProxy says why, fixing it recovers without a restart', async (t) => {
    const w1 = await startBackend(t, 'W1');
    const { stack } = await webStack(t, w1, true);
    const client = v3Client(t, stack.etcd.clientUrl);
    await waitFor(() => serves(stack, 'www.example.com', 'W1'), { timeoutMs: 10_000, message: 'www.example.com → W1' });
    assert.ok(stack.keyplate.logs.some((l) => l.event === 'etcd-api' && l.version === 3), 'version = "auto" picked the v3 keyspace');
    const before = await stack.showProc();
    const load = startLoad({
      port: stack.port,
      targets: [{ host: 'www.example.com', accept: (b) => b === 'W1' }],
      keepAliveClients: 1,
      newConnectionClients: 1,
      minRequests: 0,
      maxRequests: 1_000_000,
      maxMs: 60_000,
      until: () => false,
    });
    const tpl = join(stack.configDir, 'templates', 'haproxy.cfg.njk');
    const good = await readFile(tpl, 'utf8');
    assert.ok(good.includes('    timeout connect 5s\n'));
    try {
      // 1. break the template: saving it renders (the template is watched); then an etcd change
      //    renders it again, and the same failure is not reported twice (debug only)
      const from = stack.keyplate.logs.length;
      await writeFile(tpl, good.replace('    timeout connect 5s\n', `    timeout connect 5s\n${BAD_LINE}\n`));
      const failed = await stack.keyplate.waitEvent('render-failed', { from, fields: (l) => (l.level ?? 0) >= 50, message: 'the resource failure' });
      const again = stack.keyplate.logs.length;
      await client.put('/hosts/new1.example.com').value('web');
      await stack.keyplate.waitEvent('render-failed-again', { from: again, message: 'the same failure after the etcd change' });
      assert.equal(stack.keyplate.events('render-failed', from).length, 1, 'the failure is reported once');
      const err = String(failed.err);
      assert.match(err, /unknown keyword 'this-is-not-a-keyword' in 'defaults' section/, 'HAProxy\'s own message is reported');
      assert.match(err, /the previous files were restored/);
      assert.match(err, /the running config is unchanged/);
      t.diagnostic(`reported: ${err.split('\n')[0].slice(0, 300)}`);
      // the refused config never reached HAProxy: same master, same worker, no reload; files restored
      const during = await stack.showProc();
      assert.equal(during.masterPid, before.masterPid);
      assert.deepEqual(during.workers, before.workers);
      assert.equal(during.reloads, before.reloads);
      assert.ok(!(await readFile(stack.cfgPath, 'utf8')).includes('this-is-not-a-keyword'), 'the bad config is not left on disk');
      assert.ok(!(await readFile(stack.mapPath, 'utf8')).includes('new1.example.com'), 'the resource is rolled back as a unit');
      assert.equal((await httpGet(stack.port, 'new1.example.com')).status, 503);
      // 2. fix the template; the next change applies everything, live, on the same master
      await writeFile(tpl, good);
      const fixFrom = stack.keyplate.logs.length;
      await client.put('/hosts/new2.example.com').value('web');
      await waitFor(async () => (await serves(stack, 'new1.example.com', 'W1')) && (await serves(stack, 'new2.example.com', 'W1')), {
        timeoutMs: 15_000,
        message: 'new1 and new2 served after the fix',
      });
      const applied = await stack.keyplate.waitEvent('applied', { from: fixFrom, message: 'applied after the fix' });
      assert.equal(applied.method, 'runtime', 'the fix goes live through the Runtime API');
      const after = await stack.showProc();
      assert.equal(after.masterPid, before.masterPid, 'no restart');
      assert.equal(after.reloads, before.reloads, 'no reload');
    } finally {
      load.stop();
    }
    const stats = await load.done;
    t.diagnostic(`requests during the refused change and the fix: ${stats.total}, failed ${stats.failed}`);
    assert.deepEqual(stats.errors, []);
    assert.ok(stats.ok > 0);
    await stopAndCheck(stack);
  });

  it('HAProxy master killed with SIGKILL: restarted within 2 s, traffic resumes, live changes continue', async (t) => {
    const [w1, w2] = await Promise.all([startBackend(t, 'W1'), startBackend(t, 'W2')]);
    const { stack, reg } = await webStack(t, w1, false);
    await waitFor(() => serves(stack, 'www.example.com', 'W1'), { timeoutMs: 10_000, message: 'www.example.com → W1' });
    const before = await stack.showProc();
    const killedAt = Date.now();
    process.kill(before.masterPid, 'SIGKILL');
    let restartedAt = 0;
    const after = await waitFor(
      async () => {
        const p = await stack.showProc();
        if (p.masterPid === before.masterPid || p.workers.length === 0) return undefined;
        restartedAt = Date.now();
        return p;
      },
      { timeoutMs: 2_000, intervalMs: 10, message: 'a new HAProxy master with a worker (2 s after the kill)' },
    );
    const restartMs = restartedAt - killedAt;
    assert.ok(restartMs <= 2_000, `restarted ${restartMs} ms after the kill`);
    await waitFor(() => serves(stack, 'www.example.com', 'W1'), { timeoutMs: 10_000, message: 'traffic resumes' });
    const servedMs = Date.now() - killedAt;
    await stack.keyplate.waitEvent('haproxy-restarted', { fields: { masterPid: after.masterPid }, message: 'haproxy restarted log' });
    // the controller follows the new master: the next server change is live
    const from = stack.keyplate.logs.length;
    await reg.register({ name: 'web', id: 'docker2:web.2:80', ip: '127.0.0.1', port: w2.port });
    await waitFor(async () => (await httpGet(stack.port, 'www.example.com')).body === 'W2', { timeoutMs: 10_000, message: 'W2 in rotation' });
    const applied = await stack.keyplate.waitEvent('applied', { from, message: 'applied after the restart' });
    assert.equal(applied.method, 'runtime');
    assert.equal((await stack.showProc()).masterPid, after.masterPid);
    t.diagnostic(`master SIGKILLed: new master listed after ${restartMs} ms, first request served after ${servedMs} ms`);
    await stopAndCheck(stack);
  });
});
