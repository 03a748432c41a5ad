/**
 * confd users switch by replacing `confd` with `keyplate confd`: an unchanged confd setup
 * (conf.d/haproxy.toml + a Go template, check_cmd `haproxy -c -f {{.src}}`, a reload_cmd that
 * reloads a real master-worker HAProxy) run as `keyplate confd -backend etcdv3|etcd -node <etcd>
 * -confdir <dir> -watch` (etcd: the API is detected) against a real etcd holding registrator-style keys
 * (`/services/<service>/<id>` = `ip:port`). HAProxy serves the rendered backends, and services
 * registered and deregistered in etcd go live in HAProxy without restarting anything.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO, startDaemon } from '../helpers/daemon.ts';
import { freePort, startEtcd, v3Client } from '../helpers/etcd.ts';
import { HAPROXY, requireHaproxy } from '../helpers/haproxy.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const TEMPLATE = `global
    stats socket {{ getenv "ADMIN_SOCKET" }} mode 600 level admin

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend http-in
    bind 127.0.0.1:{{ getenv "HTTP_PORT" }}
{{- range $svc := lsdir "/services" }}
    use_backend {{ $svc }} if { path_beg /{{ $svc }} }
{{- end }}
{{ range $svc := lsdir "/services" }}
backend {{ $svc }}
    balance roundrobin
{{- range $kv := gets (printf "/services/%s/*" $svc) }}
    server {{ base $kv.Key }} {{ $kv.Value }}
{{- end }}
{{ end -}}
`;

/** `show stat` over the admin socket: the proxy/server pairs HAProxy is running. */
function showStat(socket: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let out = '';
    const c = connect(socket, () => c.write('show stat\n'));
    c.on('data', (d) => (out += String(d)));
    c.on('error', reject);
    c.on('close', () => resolve(out.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(',').slice(0, 2).join('/'))));
  });
}

for (const backend of ['etcdv3', 'etcd']) test(`keyplate confd -backend ${backend} runs an unchanged confd setup against etcd and real HAProxy; etcd changes go live`, async (t) => {
  requireHaproxy();
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  const dir = await tempDir(t, 'confd-e2e');
  const [httpPort, web1, web2, api1, web3] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  // registrator's etcd layout: /services/<service>/<host:container:port> = ip:port
  await kv.put('/services/web/host1:web-1:80').value(`127.0.0.1:${web1}`);
  await kv.put('/services/web/host1:web-2:80').value(`127.0.0.1:${web2}`);
  await kv.put('/services/api/host2:api-1:9000').value(`127.0.0.1:${api1}`);

  const confdir = join(dir, 'confd');
  const dest = join(dir, 'haproxy.cfg');
  const pidFile = join(dir, 'haproxy.pid');
  const admin = join(dir, 'admin.sock');
  await mkdir(join(confdir, 'conf.d'), { recursive: true });
  await mkdir(join(confdir, 'templates'), { recursive: true });
  await writeFile(join(confdir, 'templates', 'haproxy.cfg.tmpl'), TEMPLATE);
  await writeFile(join(confdir, 'conf.d', 'haproxy.toml'), `[template]
src = "haproxy.cfg.tmpl"
dest = "${dest}"
keys = ["/services"]
check_cmd = "${HAPROXY} -c -f {{.src}}"
reload_cmd = "if [ -f ${pidFile} ]; then kill -USR2 $(cat ${pidFile}); fi"
`);

  const keyplate = startDaemon(t, {
    command: [process.execPath, '--import', import.meta.resolve('tsx'), join(REPO, 'src', 'bin.ts'),
      'confd', '-backend', backend, '-node', etcd.clientUrl, '-confdir', confdir, '-watch', '-log-level', 'debug'],
    env: { ADMIN_SOCKET: admin, HTTP_PORT: String(httpPort) },
  });
  const rendered = (pred: (cfg: string) => boolean, what: string) =>
    waitFor(async () => {
      if (keyplate.exited) throw new Error(`keyplate exited: ${keyplate.dump()}`);
      const cfg = await readFile(dest, 'utf8').catch(() => '');
      return pred(cfg) ? cfg : undefined;
    }, { timeoutMs: 30_000, intervalMs: 50, message: what });

  const cfg = await rendered((c) => c.includes('backend web'), 'the first render');
  assert.match(cfg, new RegExp(`backend api\\n    balance roundrobin\\n    server host2:api-1:9000 127\\.0\\.0\\.1:${api1}\\n`));
  assert.match(cfg, new RegExp(`backend web\\n    balance roundrobin\\n    server host1:web-1:80 127\\.0\\.0\\.1:${web1}\\n    server host1:web-2:80 127\\.0\\.0\\.1:${web2}\\n`));
  assert.match(cfg, /use_backend api if \{ path_beg \/api \}\n    use_backend web if \{ path_beg \/web \}/);

  // The real HAProxy, master-worker, serving what keyplate rendered; reload_cmd signals its master.
  const haproxy = spawn(HAPROXY, ['-W', '-f', dest, '-p', pidFile], { stdio: 'ignore', detached: true });
  t.after(() => {
    try {
      process.kill(-haproxy.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  const live = (pred: (servers: string[]) => boolean, what: string) =>
    waitFor(async () => {
      const s = await showStat(admin).catch(() => undefined);
      return s && pred(s) ? s : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100, message: what });
  await live((s) => s.includes('web/host1:web-2:80') && s.includes('api/host2:api-1:9000'), 'HAProxy to serve the first render');
  await waitFor(async () => (await readFile(pidFile, 'utf8').catch(() => '')).trim() !== '', { message: 'the HAProxy pid file' });

  // A new registration goes live: rendered, checked, HAProxy reloaded.
  await kv.put('/services/web/host3:web-3:80').value(`127.0.0.1:${web3}`);
  await rendered((c) => c.includes('host3:web-3:80'), 'web-3 in the rendered config');
  await live((s) => s.includes('web/host3:web-3:80'), 'web-3 live in HAProxy');

  // A deregistration removes the service: its backend and its routing go away.
  await kv.delete().key('/services/api/host2:api-1:9000');
  await rendered((c) => !c.includes('backend api') && c.includes('host3:web-3:80'), 'api to disappear from the config');
  const servers = await live((s) => !s.some((x) => x.startsWith('api/')), 'api gone from HAProxy');
  assert.ok(servers.includes('web/host1:web-1:80') && servers.includes('web/host3:web-3:80'), servers.join(' '));

  // A value HAProxy rejects never reaches it: check_cmd refuses the render, the live config stays.
  await kv.put('/services/web/host4:web-4:80').value('not an address');
  await waitFor(() => keyplate.raw.some((l) => l.includes('event=key-quarantined') && l.includes('host4:web-4:80')), { timeoutMs: 30_000, message: 'the key HAProxy refused to be quarantined' });
  assert.ok(!(await readFile(dest, 'utf8')).includes('not an address'));
  assert.ok((await showStat(admin)).includes('web/host3:web-3:80'));
});
