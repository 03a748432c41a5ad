/**
 * Defect 6 with a real etcd that has authentication on: `nodes = ["http://kp:SECRET@…"]` is used
 * as the credentials (the read and the watch work), and SECRET appears in no log line at trace
 * level (JSON and text), nor in /healthz or /metrics.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { main } from '../../src/cli/program.ts';
import { enableAuth, startEtcd } from '../helpers/etcd.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

for (const format of ['json', 'text'] as const) {
  test(`credentials in a node URL are used, and never shown (${format} logs, trace level)`, async (t) => {
    const etcd = await startEtcd(t);
    const kv = await enableAuth(t, etcd.clientUrl, 'kp', 'SECRET');
    await kv.put('/app/host').value('db1');
    const dir = await tempDir(t, 'keyplate-auth');
    await writeFile(join(dir, 't.njk'), 'host={{ getv("/app/host") }}\n');
    await writeFile(join(dir, 'keyplate.toml'), `
[[resource]]
name = "etcd"
  [[resource.template]]
  src = "t.njk"
  dst = "out.cfg"
  [resource.backend.etcd]
  nodes = ["${etcd.clientUrl.replace('http://', 'http://kp:SECRET@')}"]
  version = 3
  keys = ["/app"]
  watch = true
`);
    const out = new PassThrough();
    const err = new PassThrough();
    let stderr = '';
    err.on('data', (c) => (stderr += String(c)));
    out.resume();
    const ac = new AbortController();
    const args = ['run', '-c', join(dir, 'keyplate.toml'), '--listen', '127.0.0.1:0', '--log-level', 'trace', '--log-format', format];
    const done = main(args, { stdout: out, stderr: err, env: { PATH: process.env.PATH }, cwd: dir }, ac.signal);
    t.after(async () => {
      ac.abort();
      await done;
    });
    const read = () => readFile(join(dir, 'out.cfg'), 'utf8').catch(() => '');
    await waitFor(async () => (await read()) === 'host=db1\n', { timeoutMs: 20_000, message: 'the authenticated read' });
    await kv.put('/app/host').value('db2');
    await waitFor(async () => (await read()) === 'host=db2\n', { timeoutMs: 20_000, message: 'the authenticated watch' });
    const url = /(http:\/\/127\.0\.0\.1:\d+)\/healthz/.exec(stderr)?.[1];
    assert.ok(url);
    const health = await (await fetch(`${url}/healthz`)).text();
    const metrics = await (await fetch(`${url}/metrics`)).text();
    for (const [what, text] of [['log', stderr], ['/healthz', health], ['/metrics', metrics]]) assert.doesNotMatch(text, /SECRET/, `${what} shows the secret`);
  });
}
