/**
 * The real image (podman, built from the Dockerfile) running the rancher-haproxy preset exactly as
 * docs/docker.md shows it, against the Rancher metadata emulator on the host (--network=host, free
 * loopback ports): Host routing over HTTP (redirect) and HTTPS, stats with auth, a live metadata
 * change, the HEALTHCHECK healthy and then unhealthy once the metadata is gone past freshness,
 * HAProxy's workers without root, the PEM 0600, access logs on stdout, and `podman stop`.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeCert } from '../e2e/rancher-net.ts';
import { startRancherMetadata } from '../emulator/rancher-metadata.ts';
import { rancherHaproxyWorld } from '../emulator/world.ts';
import { freePort, httpGet, startBackend } from '../haproxy/harness.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { containerName, docsBlock, docsCommand, ensureImage, healthcheck, assertStopsCleanly, IMAGE, inspect, podman, podmanOk, runDocsCommand, top } from './podman.ts';

const DOMAIN = 'dev.example.com'; // the docs' STACK_DOMAIN

function httpsGet(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', servername: host, headers: { host }, rejectUnauthorized: false, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function statsGet(port: number, auth?: string, path = '/'): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}, signal: AbortSignal.timeout(10_000) });
  return { status: r.status, body: await r.text() };
}

/** backend → status of its (only) server, from the stats CSV (`UP`, `DOWN`, `no check`, ...). */
async function serverStates(port: number, auth: string): Promise<Record<string, string>> {
  const { body } = await statsGet(port, auth, '/;csv');
  const [head, ...rows] = body.trim().split('\n');
  const cols = head.replace(/^# /, '').split(',');
  const out: Record<string, string> = {};
  for (const r of rows.map((l) => l.split(','))) if (!['FRONTEND', 'BACKEND'].includes(r[1])) out[r[0]] = r[cols.indexOf('status')];
  return out;
}

test('the image runs the rancher-haproxy preset as docs/docker.md shows it', { timeout: 300_000 }, async (t) => {
  await ensureImage();
  const dir = await tempDir(t, 'keyplate-image-rancher');
  const cert = await makeCert(dir, DOMAIN);
  const password = `pw-${process.pid}`;
  await writeFile(join(dir, 'stats-password'), `${password}\n`);

  const app1 = await startBackend(t, 'app1');
  const app2 = await startBackend(t, 'app2');
  const world = rancherHaproxyWorld({ apps: [], aliases: { app1: ['www'] }, sslCert: cert.cert, sslKey: cert.key });
  const emu = await startRancherMetadata({ world });
  t.after(() => emu.close());
  emu.addContainer('app1', 'web', { primary_ip: '127.0.0.1', labels: { 'map-public-http': String(app1.port) } });

  const name = containerName(t, 'preset');
  const ports = { http: await freePort(), https: await freePort(), stats: await freePort(), listen: await freePort() };
  const command = docsCommand(await docsBlock('## Run the rancher-haproxy preset'), 'docker run');
  const started = await runDocsCommand(command, {
    cwd: dir,
    rename: { from: 'lb', to: name },
    plumbing: [
      '--network=host',
      `-e=HTTP_PORT=${ports.http}`, `-e=HTTPS_PORT=${ports.https}`, `-e=STATS_PORT=${ports.stats}`,
      `-e=KEYPLATE_LISTEN=127.0.0.1:${ports.listen}`, `-e=RANCHER_API_HOST=${emu.host}`,
      '-e=KEYPLATE_FRESHNESS=2s', '-e=RANCHER_POLL_INTERVAL=1',
    ],
  });
  assert.equal(started.code, 0, `${command}\n${started.stderr}`);
  const logs = async () => { const l = await podman(['logs', name]); return `${l.stdout}${l.stderr}`; };

  // healthy once it has rendered and HAProxy serves
  await waitFor(async () => (await healthcheck(name)).code === 0, { timeoutMs: 60_000, intervalMs: 250, message: `podman healthcheck run to pass\n${await logs()}` });

  // Host routing: HTTP redirects (ENABLE_SSL_REDIRECTION), HTTPS routes by Host to the stack
  const redirect = await httpGet(ports.http, `app1.${DOMAIN}`);
  assert.equal(redirect.status, 301);
  for (const host of [`app1.${DOMAIN}`, `www.${DOMAIN}`]) {
    const r = await waitFor(async () => { const x = await httpsGet(ports.https, host); return x.status === 200 ? x : undefined; }, { timeoutMs: 15_000, message: `HTTPS ${host}` });
    assert.equal(r.body, 'app1', host);
  }
  assert.equal((await httpsGet(ports.https, `nope.${DOMAIN}`)).status, 503, 'an unknown host goes to be_sorry');

  // stats behind basic auth, with the password the docs read from a file
  assert.equal((await statsGet(ports.stats)).status, 401);
  assert.equal((await statsGet(ports.stats, 'haproxy:wrong')).status, 401);
  assert.equal((await statsGet(ports.stats, `haproxy:${password}`)).status, 200);

  // a metadata change is followed live: a new stack gets routed
  emu.addContainer('app2', 'web', { primary_ip: '127.0.0.1', labels: { 'map-public-http': String(app2.port) } });
  const r2 = await waitFor(async () => { const x = await httpsGet(ports.https, `app2.${DOMAIN}`); return x.status === 200 ? x : undefined; }, { timeoutMs: 30_000, message: `app2 to be routed\n${await logs()}` });
  assert.equal(r2.body, 'app2');

  // HAPROXY_SERVER_CHECK=true: servers are health-checked; one whose port is closed goes DOWN
  const closed = await freePort();
  emu.addContainer('dead', 'web', { primary_ip: '127.0.0.1', labels: { 'map-public-http': String(closed) } });
  const states = await waitFor(async () => { const s = await serverStates(ports.stats, `haproxy:${password}`); return s.dead === 'DOWN' ? s : undefined; }, { timeoutMs: 30_000, intervalMs: 250, message: 'the dead server to be checked DOWN' });
  assert.equal(states.app1, 'UP', `app1 is checked and up (unchecked would be "no check"): ${JSON.stringify(states)}`);
  assert.equal(states.app2, 'UP');

  // access logs on the container's stdout (HAPROXY_LOG=stdout)
  await waitFor(async () => (await podman(['logs', name])).stdout.includes(`"GET / HTTP/1.1"`), { timeoutMs: 15_000, message: 'an access log line in podman logs (stdout)' });

  // the PEM keyplate wrote is 0600; HAProxy's workers run as haproxy, only the master as root
  assert.equal((await podmanOk(['exec', name, 'stat', '-c', '%a %U', '/usr/local/etc/haproxy/server.pem'])).trim(), '600 root');
  const procs = await top(name);
  const haproxy = procs.filter((p) => p.args.startsWith('/usr/sbin/haproxy'));
  assert.equal(haproxy.filter((p) => p.user === 'root').length, 1, `one root HAProxy (the master): ${JSON.stringify(procs)}`);
  assert.ok(haproxy.some((p) => p.user === 'haproxy'), `a worker runs as haproxy: ${JSON.stringify(procs)}`);
  assert.equal(haproxy.length, haproxy.filter((p) => p.user === 'root' || p.user === 'haproxy').length);

  // unhealthy when the metadata is unreachable for longer than the freshness window
  await emu.fail('refuse');
  const sick = await waitFor(async () => { const h = await healthcheck(name); return h.code !== 0 ? h : undefined; }, { timeoutMs: 30_000, intervalMs: 500, message: 'podman healthcheck run to fail' });
  assert.match(`${sick.stdout}${sick.stderr}`, /unhealthy/);
  assert.equal((await httpsGet(ports.https, `app1.${DOMAIN}`)).body, 'app1', 'still serving the last good config');

  // podman stop: SIGTERM to tini → keyplate → HAProxy; exit 0 within the 10 s (else SIGKILL → 137)
  await assertStopsCleanly(name);
  assert.match(await logs(), /stopped/);
  t.diagnostic(`image ${IMAGE}: ${(Number(await inspect(IMAGE, '{{.Size}}')) / 1e6).toFixed(1)} MB`);
});
