/**
 * The operator's loop, end to end (examples/etcd-haproxy copied, real etcd, real HAProxy run by
 * keyplate): saving an edited template changes what HAProxy serves with no restart and no failed
 * request; a broken edit keeps HAProxy serving and the file byte-identical, reported once with
 * file:line:col; saving the fix recovers, all under load.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { v3Client } from '../helpers/etcd.ts';
import { FayrusRegistrator } from '../helpers/registrator.ts';
import { waitFor } from '../helpers/wait.ts';
import { httpGet, startBackend } from '../haproxy/harness.ts';
import { startStack } from '../helpers/live-stack.ts';
import { haproxyPids } from '../helpers/procs.ts';
import { startLoad } from './live-load.ts';

const BIND = '    bind {{ vars.http_bind }}\n';
const withHeader = (tpl: string, gen: string) => tpl.replace(BIND, `${BIND}    http-response set-header X-Gen ${gen}\n`);

describe('live template edits (keyplate run, real HAProxy)', () => {
  it('an edit goes live with no restart and no lost request; a broken edit changes nothing and is reported once; the fix recovers', { timeout: 180_000 }, async (t) => {
    const w1 = await startBackend(t, 'W1');
    const stack = await startStack(t, {
      copy: true,
      minReloadIntervalMs: 200,
      env: { LOG_LEVEL: 'debug' }, // a repeated failure is logged at debug: the test sees it happen
      seed: async (etcd) => {
        const reg = new FayrusRegistrator(v3Client(t, etcd.clientUrl), { prefix: '/services' });
        await reg.register({ name: 'web', id: 'docker1:web.1:80', ip: '127.0.0.1', port: w1.port });
        await v3Client(t, etcd.clientUrl).put('/hosts/www.example.com').value('web');
      },
    });
    const client = v3Client(t, stack.etcd.clientUrl);
    const gen = async () => (await httpGet(stack.port, 'www.example.com').catch(() => undefined))?.gen;
    await waitFor(async () => (await httpGet(stack.port, 'www.example.com').catch(() => undefined))?.body === 'W1', { timeoutMs: 15_000, message: 'www.example.com → W1' });
    const tpl = join(stack.configDir, 'templates', 'haproxy.cfg.njk');
    const original = await readFile(tpl, 'utf8');
    assert.ok(original.includes(BIND), 'the example template has the bind line this test edits');
    // the master socket is briefly away while the master re-executes for a reload
    const proc = () => waitFor(() => stack.showProc(), { timeoutMs: 10_000, message: 'show proc on the master socket' });
    const before = await proc();
    let phase = 'edit';
    const load = startLoad({
      port: stack.port,
      targets: [{ host: 'www.example.com', accept: (b) => b === 'W1' }],
      keepAliveClients: 2,
      newConnectionClients: 2,
      minRequests: 2_000,
      maxRequests: 1_000_000,
      maxMs: 120_000,
      until: () => phase === 'done',
    });
    try {
      // 1. save an edit: served within seconds, through a confirmed reload of the same master
      await waitFor(() => load.stats.total >= 200, { timeoutMs: 30_000, message: 'load running before the edit' });
      await writeFile(tpl, withHeader(original, 'v2'));
      await waitFor(async () => (await gen()) === 'v2', { timeoutMs: 20_000, message: 'the edited config served (X-Gen: v2)' });
      assert.ok((await readFile(stack.cfgPath, 'utf8')).includes('set-header X-Gen v2'));
      assert.equal((await proc()).masterPid, before.masterPid, 'no HAProxy restart');

      // 2. save a broken edit: nothing changes, HAProxy keeps serving, one error with file:line:col
      phase = 'broken';
      const good = await readFile(stack.cfgPath);
      const from = stack.keyplate.logs.length;
      const broken = withHeader(original, 'v3').replace(BIND, `${BIND}{% if %}\n`);
      await writeFile(tpl, broken);
      const line = broken.split('\n').findIndex((l) => l === '{% if %}') + 1;
      const failed = await stack.keyplate.waitEvent('render-failed', { from, message: 'the broken template reported' });
      assert.match(String(failed.err), new RegExp(`haproxy\\.cfg\\.njk:${line}:\\d+`), `file:line:col of the broken tag: ${String(failed.err)}`);
      await client.put('/hosts/other.example.com').value('web'); // a data change renders it again
      await stack.keyplate.waitEvent('render-failed-again', { from, message: 'the second failure (logged at debug)' });
      assert.equal(stack.keyplate.events('render-failed', from).length, 1, 'reported once');
      assert.deepEqual(await readFile(stack.cfgPath), good, 'the installed file is byte-identical');
      assert.equal(await gen(), 'v2', 'HAProxy keeps serving the last good config');

      // 3. save the fix: it goes live (with the data change made meanwhile), no restart
      phase = 'fix';
      await writeFile(tpl, withHeader(original, 'v3'));
      await waitFor(async () => (await gen()) === 'v3', { timeoutMs: 20_000, message: 'the fixed config served (X-Gen: v3)' });
      await waitFor(async () => (await httpGet(stack.port, 'other.example.com')).body === 'W1', { timeoutMs: 10_000, message: 'the data change made while broken is applied' });
      const after = await proc();
      assert.equal(after.masterPid, before.masterPid, 'no HAProxy restart');
      assert.ok(after.reloads > before.reloads, 'the edits went live through reloads');
      phase = 'done';
    } finally {
      if (phase !== 'done') load.stop();
    }
    const stats = await load.done;
    t.diagnostic(`requests during the edits: ${stats.total} (keep-alive ${stats.keepAlive}, new connection ${stats.newConnection}), failed ${stats.failed}`);
    assert.deepEqual(stats.errors, []);
    assert.equal(stats.failed, 0);
    assert.ok(stats.total >= 2_000, `at least 2,000 requests during the edits (${stats.total})`);
    assert.deepEqual(await stack.keyplate.stop(), { code: 0, signal: null });
    await waitFor(async () => (await haproxyPids(stack.dir)).length === 0, { timeoutMs: 5_000, message: 'no HAProxy process left' });
  });
});
