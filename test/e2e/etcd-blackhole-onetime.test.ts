/**
 * Issue 10: `request_timeout` bounds every call, `run --onetime` included. The etcd endpoint is a
 * local TCP listener that accepts and never answers (a blackhole). With a short `request_timeout`
 * the CLI (in process, so start-up time does not blur the figure) must exit with the backend exit
 * code within about one request_timeout per API it tries (v3 and v2 for `"auto"`), and say what
 * went wrong. Before the fix the etcd3 client's own retries tripled the v3 wait.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { main } from '../../src/cli/program.ts';
import { ExitCode } from '../../src/errors.ts';
import { tempDir } from '../helpers/tmp.ts';

const RT_MS = 2_000;
// Load gRPC and the etcd3 client before the clock starts: module loading is not what request_timeout bounds.
await import('etcd3');
let warmedUp = false;

async function blackhole(t: Pick<TestContext, 'after'>): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

for (const [version, apis] of [['3', 1], ['2', 1], ['"auto"', 2]] as const) {
  test(`run --onetime against a blackholed etcd (version = ${version}) fails within about request_timeout`, { timeout: 60_000 }, async (t) => {
    const endpoint = await blackhole(t);
    const dir = await tempDir(t, 'keyplate-blackhole');
    await writeFile(join(dir, 't.njk'), 'x={{ getv("/app/x", "none") }}\n');
    const cfg = join(dir, 'keyplate.toml');
    await writeFile(cfg, `
[[resource]]
name = "web"
  [[resource.template]]
  src = "t.njk"
  dst = "out.cfg"
  [resource.backend.etcd]
  nodes = ["http://${endpoint}"]
  version = ${version}
  keys = ["/app"]
  request_timeout = "${RT_MS}ms"
`);
    let stderr = '';
    const err = new PassThrough();
    err.on('data', (c) => (stderr += String(c)));
    const out = new PassThrough();
    out.resume();
    if (!warmedUp) {
      // The first run in a process compiles keyplate's own modules (tsx): not part of the figure.
      await writeFile(join(dir, 'warm.toml'), (await readFile(cfg, 'utf8')).replace(/request_timeout = .*/, 'request_timeout = "10ms"'));
      await main(['run', '--onetime', '-c', join(dir, 'warm.toml')], { stdout: out, stderr: new PassThrough().resume(), env: {}, cwd: dir });
      warmedUp = true;
    }
    const started = Date.now();
    const code = await main(['run', '--onetime', '-c', cfg, '--log-format', 'json'], { stdout: out, stderr: err, env: { PATH: process.env.PATH }, cwd: dir });
    const took = Date.now() - started;
    assert.equal(code, ExitCode.BACKEND, stderr);
    // one request_timeout per API tried (a silent node is not asked again through gRPC), plus slack
    const bound = apis * RT_MS + 1_500;
    assert.ok(took < bound, `exited after ${took} ms, over ${bound} ms (request_timeout = ${RT_MS} ms)\n${stderr}`);
    const warned = stderr.split('\n').filter((l) => /"level":("warn"|"error"|40|50)/.test(l));
    assert.ok(warned.length > 0, `a warning or error explains the wait\n${stderr}`);
    assert.match(warned.join('\n'), /no answer within/i, stderr);
    t.diagnostic(`version = ${version}: exit ${code} after ${took} ms (request_timeout = ${RT_MS} ms)`);
  });
}
