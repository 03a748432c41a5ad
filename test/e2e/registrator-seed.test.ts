/**
 * The seed, end to end: the REAL `keyplate run -c examples/registrator-etcd/config.toml` (a child
 * process) against a real etcd fed by a registrator simulator, upstream v2 style and fork v3 style.
 * The rendered config passes a real `haproxy -c`; services added and removed while keyplate watches
 * show up and go away; a write to the seed's watchKeys (`/haproxy/reload`) triggers a render; and
 * SIGTERM ends keyplate with exit 0 and nothing left running.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { REPO, startDaemon } from '../helpers/daemon.ts';
import { startEtcd, v2Put, v3Client, type EtcdServer } from '../helpers/etcd.ts';
import { requireHaproxy } from '../helpers/haproxy.ts';
import { FayrusRegistrator, GliderlabsRegistrator, serviceId, type Service } from '../helpers/registrator.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const SEED_CONFIG = join(REPO, 'examples/registrator-etcd/config.toml');
const REAL_HAPROXY = '/usr/sbin/haproxy';

/**
 * A stand-in `haproxy`, first in the child's PATH. The seed's reload_cmd is
 * `haproxy -f <dst> -p <pidfile> -D -sf <old pid>`: it starts a DAEMON HAProxy that would bind *:80
 * and the services' host ports, which a test must never do. For that daemon invocation (`-D`) the
 * shim runs the real `/usr/sbin/haproxy -c -f <file>` instead (so every reload still validates the
 * installed file) and appends one line `rc=<exit> <args>` to the call log. Any other invocation
 * (e.g. `haproxy -v`, `haproxy -c`) is passed to the real binary unchanged.
 */
function shimScript(callLog: string): string {
  return `#!/bin/sh
daemon=0; file=; prev=
for a in "$@"; do
  [ "$a" = "-D" ] && daemon=1
  [ "$prev" = "-f" ] && file="$a"
  prev="$a"
done
if [ "$daemon" = 1 ]; then
  ${REAL_HAPROXY} -c -q -f "$file"
  rc=$?
  printf 'rc=%s %s\\n' "$rc" "$*" >> '${callLog}'
  exit $rc
fi
exec ${REAL_HAPROXY} "$@"
`;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line mentions `needle` (e.g. a daemon HAProxy started on our temp config). */
async function processesMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(needle)) found.push(`${pid}: ${cmd.replace(/\0/g, ' ')}`);
  }
  return found;
}

function haproxyCheckFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(REAL_HAPROXY, ['-c', '-f', file], (err, stdout, stderr) =>
      err ? reject(new Error(`haproxy -c -f ${file} failed: ${stderr}${stdout}`)) : resolve(stdout + stderr),
    );
  });
}

/** What a registrator flavour offers the scenario, plus how an operator writes a key in the same keyspace. */
interface Flavour {
  register(s: Service): Promise<void>;
  deregister(s: Service): Promise<void>;
  refresh(): Promise<void>;
  put(key: string, value: string): Promise<void>;
}

const svc = (name: string, host: string, n: number, port: number): Service => ({
  name,
  id: serviceId(host, `${name}.${n}`, name.startsWith('redis') ? 6379 : 80),
  ip: '127.0.0.1',
  port,
});

async function seedScenario(t: TestContext, etcd: EtcdServer, flavour: Flavour): Promise<void> {
  requireHaproxy();
  const dir = await tempDir(t, 'keyplate-e2e-seed');
  const binDir = join(dir, 'bin');
  const callLog = join(dir, 'haproxy-calls.log');
  const dst = join(dir, 'haproxy.cfg');
  await mkdir(binDir);
  await writeFile(join(binDir, 'haproxy'), shimScript(callLog));
  await chmod(join(binDir, 'haproxy'), 0o755);
  const calls = async () => (await readFile(callLog, 'utf8').catch(() => '')).split('\n').filter(Boolean);

  // What an operator writes per service, and what registrator registers (before keyplate starts:
  // version = "auto" picks the keyspace that holds the data).
  const redis = [svc('redis', 'docker1', 1, 32770), svc('redis', 'docker2', 2, 32772)];
  const redisTest = [svc('redis_test', 'docker2', 1, 32773)];
  const web = [svc('web', 'docker1', 1, 32768), svc('web', 'docker2', 2, 32771)];
  const api = [svc('api', 'docker1', 1, 32769)];
  await flavour.put('/config/redis/scheme', 'tcp');
  await flavour.put('/config/redis/host_port', '6379');
  await flavour.put('/config/redis_test/scheme', 'tcp');
  await flavour.put('/config/redis_test/host_port', '6380');
  await flavour.put('/config/web/scheme', 'http');
  await flavour.put('/config/api/scheme', 'http');
  await flavour.put('/config/api/host_port', '8080');
  for (const s of [...redis, ...redisTest, ...web]) await flavour.register(s);

  const child = startDaemon(t, {
    config: SEED_CONFIG,
    listen: false,
    env: {
      ...(process.env as Record<string, string>),
      PATH: `${binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      ETCD_NODE: etcd.clientUrl,
      HAPROXY_CONFIG: dst,
      HAPROXY_PID_FILE: join(dir, 'haproxy.pid'),
    },
  });
  const rendered = async (pred: (cfg: string) => boolean, what: string): Promise<string> => {
    try {
      return await waitFor(async () => {
        if (child.exited) throw new Error('keyplate exited');
        const cfg = await readFile(dst, 'utf8').catch(() => '');
        return pred(cfg) ? cfg : undefined;
      }, { timeoutMs: 20_000, intervalMs: 50, message: what });
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- keyplate output ---\n${child.dump()}`);
    }
  };

  // 1. First render: every registered service, segment boundaries kept (redis ≠ redis_test).
  let cfg = await rendered((c) => c.includes('backend web_servers'), 'the first render');
  assert.match(cfg, /^backend redis_servers\n\s+mode tcp\n\s+server server_redis_docker1:redis\.1:6379 127\.0\.0\.1:32770\n\s+server server_redis_docker2:redis\.2:6379 127\.0\.0\.1:32772\nbackend redis_test_servers\n/m);
  assert.match(cfg, /^backend redis_test_servers\n\s+mode tcp\n\s+server server_redis_test_docker2:redis_test\.1:6379 127\.0\.0\.1:32773\n/m);
  assert.match(cfg, /frontend redis_port\n\s+mode tcp\n\s+bind \*:6379\n\s+default_backend redis_servers/);
  assert.match(cfg, /frontend redis_test_port\n\s+mode tcp\n\s+bind \*:6380\n/);
  assert.match(cfg, /acl is_web url_beg \/web\n\s+acl is_web hdr_beg\(host\) web\n\s+use_backend web_servers if is_web/);
  assert.match(cfg, /^backend web_servers\n\s+mode http\n\s+server server_web_docker1:web\.1:80 127\.0\.0\.1:32768\n\s+server server_web_docker2:web\.2:80 127\.0\.0\.1:32771\n/m);
  assert.doesNotMatch(cfg, /api/, 'api has config but no registration yet: no backend, no frontend, no ACL');
  await haproxyCheckFile(dst);
  await waitFor(async () => (await calls()).length >= 1, { timeoutMs: 20_000, message: 'the first reload_cmd' });
  assert.match((await calls())[0], new RegExp(`^rc=0 -f ${dst} -p ${join(dir, 'haproxy.pid')} -D -sf`));

  // 2. A registration while keyplate watches appears; a refresh (same values) changes nothing.
  await flavour.register(api[0]);
  cfg = await rendered((c) => c.includes('backend api_servers'), 'api to appear');
  assert.match(cfg, /frontend api_port\n\s+mode http\n\s+bind \*:8080\n\s+default_backend api_servers/);
  assert.match(cfg, /^backend api_servers\n\s+mode http\n\s+server server_api_docker1:api\.1:80 127\.0\.0\.1:32769\n/m);
  await haproxyCheckFile(dst);
  await flavour.refresh();

  // 3. Deregistering every web instance removes its backend and its ACLs.
  for (const s of web) await flavour.deregister(s);
  cfg = await rendered((c) => c.includes('backend api_servers') && !c.includes('web'), 'web to disappear');
  assert.match(cfg, /backend api_servers/);
  assert.match(cfg, /backend redis_servers/);
  await haproxyCheckFile(dst);

  // 4. watchKeys: the seed watches /haproxy/reload, which no template reads. keyplate watches keys
  // AND watchKeys (remco watches only watchKeys): a write there re-renders. Observable: a
  // hand-edited destination is put back and reload_cmd runs again.
  const good = await readFile(dst, 'utf8');
  await waitFor(async () => (await calls()).length >= 3, { timeoutMs: 20_000, message: 'reloads for api and web' });
  const before = (await calls()).length;
  await writeFile(dst, `${good}# edited by hand\n`);
  await flavour.put('/haproxy/reload', String(Date.now()));
  await rendered((c) => c === good, 'the /haproxy/reload trigger to re-render the destination');
  await waitFor(async () => (await calls()).length === before + 1, { timeoutMs: 20_000, message: 'reload_cmd after the trigger' });
  assert.ok((await calls()).every((l) => l.startsWith('rc=0 ')), `every reload validated: ${(await calls()).join(' | ')}`);

  // 5. SIGTERM: exit 0, the process group is gone, no HAProxy (or anything) runs on our files.
  child.signal('SIGTERM');
  await waitFor(() => child.exited, { timeoutMs: 15_000, message: 'keyplate to exit on SIGTERM' });
  const exit = await child.exit;
  assert.deepEqual(exit, { code: 0, signal: null }, child.dump());
  await waitFor(() => !groupAlive(child.pid), { timeoutMs: 5_000, message: "keyplate's process group to be empty" });
  assert.deepEqual(await processesMentioning(dir), []);
}

test('seed e2e, gliderlabs/registrator (etcd v2 keys API): keyplate run renders, follows, reloads, stops cleanly', async (t) => {
  const etcd = await startEtcd(t);
  const reg = new GliderlabsRegistrator(etcd.clientUrl, { prefix: '/services', ttl: 120 });
  assert.match(await reg.start(), /etcdserver/);
  await seedScenario(t, etcd, {
    register: (s) => reg.register(s),
    deregister: (s) => reg.deregister(s),
    refresh: () => reg.refresh(),
    put: async (k, v) => void (await v2Put(etcd.clientUrl, k, v)),
  });
});

test('seed e2e, fayrus/registrator (etcd v3, leases): keyplate run renders, follows, reloads, stops cleanly', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  const reg = new FayrusRegistrator(kv, { prefix: '/services', ttl: 120 });
  await seedScenario(t, etcd, {
    register: (s) => reg.register(s),
    deregister: (s) => reg.deregister(s),
    refresh: () => reg.refresh(),
    put: async (k, v) => void (await kv.put(k).value(v)),
  });
});
