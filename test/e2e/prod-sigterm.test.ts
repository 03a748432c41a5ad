/**
 * SIGTERM to the real daemon while it supervises a real HAProxy (serving traffic from etcd) and
 * while a check_cmd is running: keyplate exits 0 within 2 s, and no HAProxy process (master,
 * workers; pids from the log, the master socket and /proc) nor any check process is left.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliCommand } from '../../src/haproxy/runtime-socket.ts';
import { parseShowProc } from '../../src/haproxy/runtime-answers.ts';
import { startEtcd, v3Client } from '../helpers/etcd.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { freePort, httpGet, requireHaproxy, startBackend } from '../haproxy/harness.ts';
import { startDaemon } from '../helpers/daemon.ts';
import { alive, cmdline, descendants } from '../helpers/procs.ts';

const TEMPLATE = (dir: string, port: number) => `global
    stats socket ${dir}/admin.sock mode 600 level admin
    hard-stop-after 5s
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:${port}
    default_backend web
backend web
    balance roundrobin
{% for s in gets("/services/web/*") %}    server {{ s.Key | base }} {{ s.Value }}
{% endfor %}`;

/** `ps -eo pid=,args=` lines mentioning `needle`. */
function psLines(needle: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    execFile('ps', ['-eo', 'pid=,stat=,args='], (err, out) => (err ? reject(err) : resolve(out.split('\n').filter((l) => l.includes(needle) && !/^\s*\d+\s+Z/.test(l))))),
  );
}

test('SIGTERM during a check: exit 0 in under 2 s, no HAProxy or check process left', async (t) => {
  await requireHaproxy();
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  const web = await startBackend(t, 'web-a');
  await kv.put('/services/web/a').value(`127.0.0.1:${web.port}`);
  const dir = await tempDir(t, 'keyplate-prod-sigterm');
  const port = await freePort();
  await writeFile(join(dir, 'haproxy.cfg.njk'), TEMPLATE(dir, port));
  await writeFile(join(dir, 'check-sleep'), '0.1');
  // The check records its pid ($$$$: a literal $$ after the config's own $ expansion), sleeps as long as check-sleep says, then runs haproxy -c.
  await writeFile(join(dir, 'keyplate.toml'), `
[[resource]]
name = "haproxy"
  [[resource.template]]
  src = "haproxy.cfg.njk"
  dst = "haproxy.cfg"
  check_cmd = "echo $$$$ >> ${dir}/check.pids; sleep $(cat ${dir}/check-sleep); /usr/sbin/haproxy -c -q -f {{ src }}"
  [resource.backend.etcd]
  nodes = ["${etcd.clientUrl}"]
  version = 3
  keys = ["/services"]
  watch = true

[haproxy]
config_files = ["haproxy.cfg"]
master_socket = "master.sock"
admin_socket = "admin.sock"
`);
  const d = startDaemon(t, { config: join(dir, 'keyplate.toml'), cwd: dir });
  const started = await d.waitEvent('haproxy-started', { timeoutMs: 30_000, message: 'HAProxy to start' });
  const reply = await waitFor(async () => {
    const r = await httpGet(port, 'example.test');
    return r.status === 200 ? r : undefined;
  }, { timeoutMs: 10_000, message: 'HAProxy to serve web-a' });
  assert.equal(reply.body, 'web-a');

  // A change whose check hangs: SIGTERM arrives while check_cmd runs.
  await writeFile(join(dir, 'check-sleep'), '30');
  const pidsBefore = (await readFile(join(dir, 'check.pids'), 'utf8')).trim().split('\n').length;
  await kv.put('/services/web/b').value(`127.0.0.1:${web.port}`);
  const checkPid = await waitFor(async () => {
    const pids = (await readFile(join(dir, 'check.pids'), 'utf8')).trim().split('\n').map(Number);
    const p = pids[pidsBefore];
    if (p === undefined) return undefined;
    // its sleep runs (not the `cat` of $(cat …) before it)
    for (const c of await descendants(p)) if ((await cmdline(c)).startsWith('sleep 30')) return p;
    return undefined;
  }, { message: `the slow check to be running\n${d.dump()}` });

  const proc = parseShowProc(await cliCommand(join(dir, 'master.sock'), 'show proc'));
  assert.ok(proc, 'show proc answered');
  const haproxyPids = new Set([Number(started.masterPid), Number(started.workerPid), proc.masterPid, ...proc.workers]);
  const tree = await descendants(d.pid);
  for (const p of [...haproxyPids, checkPid]) assert.ok(tree.includes(p), `pid ${p} is keyplate's descendant`);
  const watched = new Map<number, string>();
  for (const p of tree) watched.set(p, await cmdline(p));
  assert.ok([...watched.values()].some((c) => c.startsWith('sleep 30')), 'the check sleeps in a child process');
  assert.ok((await psLines(dir)).length >= 2, 'ps shows HAProxy and the check');

  const t0 = performance.now();
  d.signal('SIGTERM');
  const exit = await d.exit;
  const ms = performance.now() - t0;
  t.diagnostic(`keyplate exited ${Math.round(ms)} ms after SIGTERM`);
  assert.deepEqual(exit, { code: 0, signal: null }, d.dump());
  assert.ok(ms < 2_000, `exited ${Math.round(ms)} ms after SIGTERM (must be under 2 s)\n${d.dump()}`);

  const left: string[] = [];
  for (const [p, cmd] of watched) if ((await alive(p)) && (await cmdline(p)) === cmd) left.push(`${p} ${cmd}`);
  assert.deepEqual(left, [], 'every process keyplate started is gone');
  assert.deepEqual(await psLines(dir), [], 'ps shows nothing running from the test dir');
  assert.ok(d.events('stopped').length > 0, d.dump());
});
