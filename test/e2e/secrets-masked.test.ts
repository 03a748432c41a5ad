/**
 * Defect 6: a secret in a node URL (`http://kp:SECRET@…`) and in a secret-looking key never shows:
 * the daemon (in process, trace level, JSON and text logs) fails to reach etcd, logs every retry,
 * serves /healthz (with lastError) and /metrics, and SECRET appears in none of them. (The
 * credentials are used, not sent as part of the address: etcd-auth-url.test.ts.)
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { main } from '../../src/cli/program.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

for (const format of ['json', 'text'] as const) {
  test(`SECRET appears nowhere in ${format} logs at trace level, /healthz or /metrics`, async (t) => {
    const dir = await tempDir(t, 'keyplate-secrets');
    const port = await closedPort();
    await writeFile(join(dir, 'data.yaml'), 'app:\n  db_password: SECRET\n  host: db\n');
    await writeFile(join(dir, 't.njk'), 'host={{ getv("/app/host") }}\n');
    await writeFile(join(dir, 'keyplate.toml'), `
[[resource]]
name = "files"
  [[resource.template]]
  src = "t.njk"
  dst = "out.cfg"
  [resource.backend.file]
  filepath = "data.yaml"
  keys = ["/app"]

[[resource]]
name = "etcd"
  [[resource.template]]
  src = "t.njk"
  dst = "etcd.cfg"
  [resource.backend.etcd]
  nodes = ["http://kp:SECRET@127.0.0.1:${port}"]
  version = 3
  keys = ["/app"]
  watch = true
  request_timeout = 1
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
    const url = await waitFor(() => /(http:\/\/127\.0\.0\.1:\d+)\/healthz/.exec(stderr)?.[1], { message: 'status listener' });
    // wait until the etcd failure is visible in /healthz (its lastError names the node)
    const health = await waitFor(async () => {
      const body = await (await fetch(`${url}/healthz`)).text();
      return /lastError/.test(body) ? body : undefined;
    }, { timeoutMs: 20_000, message: '/healthz with the etcd error' });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    await waitFor(() => (stderr.match(/retrying the backend read/g) ?? []).length >= 2, { timeoutMs: 20_000, message: 'retries logged' });
    for (const [what, text] of [['log', stderr], ['/healthz', health], ['/metrics', metrics]]) {
      assert.doesNotMatch(text, /SECRET/, `${what} shows the secret`);
    }
  });
}
