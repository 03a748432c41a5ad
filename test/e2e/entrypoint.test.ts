/**
 * The Docker image's entrypoint, run on the host without a container (test/image/ runs the real
 * image under podman; this is the fast check inside `npm test`). The Dockerfile is
 * parsed and its final stage laid out under a temp root (prod-image.ts: the build stage's tsc
 * output as dist/, production node_modules only, bin/, templates/, the preset config at
 * /etc/keyplate/config.toml, the /usr/local/bin/keyplate link). Then the exact ENTRYPOINT
 * (`tini -- keyplate-entrypoint`, which runs `keyplate run`) runs with the image's ENV plus what
 * an operator sets, against the Rancher metadata emulator, a real HAProxy and a real HTTP
 * backend. It must serve `Host: <stack>.<domain>`, the exact HEALTHCHECK command must pass (and
 * fail without a listener), and SIGTERM must end everything with exit code 0.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, constants, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { startRancherMetadata, type RancherMetadataEmulator } from '../emulator/rancher-metadata.ts';
import { rancherHaproxyWorld } from '../emulator/world.ts';
import { freePort, httpGet, requireHaproxy, startBackend } from '../haproxy/harness.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { startDaemon, type Daemon } from '../helpers/daemon.ts';
import { alive, cmdline, descendants } from '../helpers/procs.ts';
import { layOutImage, readImage, type Image } from './prod-image.ts';

const DOMAIN = 'prod.test';

async function requireTini(): Promise<void> {
  try {
    await access('/usr/bin/tini', constants.X_OK);
  } catch {
    throw new Error('/usr/bin/tini not found: install the Debian package "tini" (apt-get install tini)');
  }
}

function runHealthcheck(cmd: readonly string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(cmd[0], cmd.slice(1), { env, timeout: 10_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: `${stdout}${stderr}` }));
  });
}

interface Container {
  readonly daemon: Daemon;
  readonly env: Record<string, string>;
  readonly ports: { http: number; listen: number };
}

/** `docker run` of the image: its ENTRYPOINT in its WORKDIR with its ENV plus the operator's. */
async function runContainer(t: TestContext, image: Image, at: (p: string) => string, emu: RancherMetadataEmulator, run: string): Promise<Container> {
  await mkdir(run, { recursive: true });
  const imageEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(image.env)) imageEnv[k] = image.copies.some((c) => v === c.dest || v.startsWith(`${c.dest}/`)) ? at(v) : v;
  const ports = { http: await freePort(), https: await freePort(), stats: await freePort(), listen: await freePort() };
  const env: Record<string, string> = {
    PATH: `${at('/usr/local/bin')}:${dirname(process.execPath)}:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: join(run, 'home'), // the container's own (compiled templates are cached under ~/.cache), never the host's
    ...imageEnv,
    KEYPLATE_LISTEN: `127.0.0.1:${ports.listen}`, // the image's port 9100 may be taken on the host
    // what the operator sets (docker run -e ...)
    STACK_DOMAIN: DOMAIN,
    RANCHER_API_HOST: emu.host,
    HTTP_PORT: String(ports.http),
    HTTPS_PORT: String(ports.https),
    STATS_PORT: String(ports.stats),
    HAPROXY_CONFIG: join(run, 'etc', 'haproxy.cfg'),
    HAPROXY_BACKEND_CONFIG: join(run, 'etc', 'haproxy-backends.cfg'),
    HAPROXY_DOMAIN_MAP: join(run, 'etc', 'domain.map'),
    HAPROXY_SSL_CERT: join(run, 'etc', 'server.pem'),
    HAPROXY_MASTER_SOCKET: join(run, 'haproxy-master.sock'),
    HAPROXY_ADMIN_SOCKET: join(run, 'haproxy-admin.sock'),
    HAPROXY_STOP_TIMEOUT: '5s',
    LOG_FORMAT: 'json',
  };
  const daemon = startDaemon(t, { command: image.entrypoint, cwd: at(image.workdir), env });
  return { daemon, env, ports };
}

/** Run the container until HAProxy is up; again on fresh ports when a free port was taken meanwhile. */
async function startContainer(t: TestContext, image: Image, at: (p: string) => string, emu: RancherMetadataEmulator, root: string): Promise<Container> {
  for (let attempt = 1; ; attempt++) {
    const c = await runContainer(t, image, at, emu, join(root, `run${attempt}`));
    const up = await c.daemon.waitEvent('haproxy-started', { timeoutMs: 40_000, message: 'HAProxy to start' }).catch((e: Error) => e);
    if (!(up instanceof Error)) return c;
    if (attempt >= 3 || !c.daemon.exited || !/cannot bind|Address already in use|EADDRINUSE/i.test(c.daemon.dump())) throw up;
  }
}

test('the image entrypoint (tini -- keyplate-entrypoint → keyplate run, Rancher preset) serves traffic, passes its HEALTHCHECK and stops cleanly', async (t) => {
  await requireHaproxy();
  await requireTini();
  const image = await readImage();

  // The Dockerfile's contract.
  assert.equal(image.final.from, 'node:20-bookworm-slim');
  assert.ok(image.runs.some((r) => /apt-get install\b.*\bhaproxy\b/.test(r) && /\btini\b/.test(r)), 'haproxy and tini from Debian');
  assert.deepEqual(image.entrypoint, ['tini', '--', 'keyplate-entrypoint']);
  assert.ok(image.copies.some((c) => c.sources.join() === 'docker/entrypoint.sh' && c.dest === '/usr/local/bin/keyplate-entrypoint'), 'the entrypoint script is on PATH');
  assert.equal(image.env.KEYPLATE_LISTEN, '127.0.0.1:9100');
  assert.equal(image.env.KEYPLATE_CONFIG, '/etc/keyplate/config.toml');
  assert.ok(image.copies.some((c) => c.sources.join() === 'config.toml' && c.dest === image.env.KEYPLATE_CONFIG), 'the preset is the default config');
  assert.ok(image.copies.some((c) => c.sources.join() === 'templates' && c.dest === image.env.KEYPLATE_TEMPLATES), 'KEYPLATE_TEMPLATES is where the templates are copied');
  assert.deepEqual(Object.keys(image.env).filter((k) => /PASS|SECRET|TOKEN|CREDENTIAL|_KEY$/i.test(k)), [], 'no secret in ENV');
  assert.ok(!image.copies.some((c) => c.sources.some((s) => /\.(pem|key|crt)$|secret/i.test(s))), 'no key or certificate copied in');
  assert.equal(image.healthcheck.command[0], 'node', 'the HEALTHCHECK uses node (there is no curl)');
  assert.ok(!image.healthcheck.command.join(' ').includes('curl'));

  const root = await tempDir(t, 'keyplate-image');
  const at = await layOutImage(image, root);
  await assert.rejects(access(join(at(image.workdir), 'node_modules', 'tsx')), 'no tsx in the image: the built JS runs on its own');
  await access(join(at(image.workdir), 'dist', 'bin.js'));

  const app = await startBackend(t, 'app1');
  const world = rancherHaproxyWorld({ apps: [], aliases: { app1: ['www'] } });
  const emu = await startRancherMetadata({ world });
  t.after(() => emu.close());
  emu.addContainer('app1', 'web', { primary_ip: '127.0.0.1', labels: { 'map-public-http': String(app.port) } });

  const c = await startContainer(t, image, at, emu, root);
  const tree = await descendants(c.daemon.pid);
  const cmds = await Promise.all(tree.map((p) => cmdline(p)));
  assert.ok(cmds.some((x) => x.includes(`${at('/usr/local/bin/keyplate')} run`)), `tini runs keyplate from the image's PATH: ${cmds.join(' | ')}`);
  assert.ok(cmds.some((x) => x.startsWith('/usr/sbin/haproxy')), `keyplate runs HAProxy: ${cmds.join(' | ')}`);

  for (const host of [`app1.${DOMAIN}`, `www.${DOMAIN}`]) {
    const r = await waitFor(async () => {
      const reply = await httpGet(c.ports.http, host);
      return reply.status === 200 ? reply : undefined;
    }, { timeoutMs: 15_000, message: `HAProxy to route ${host}` });
    assert.equal(r.body, 'app1', host);
  }
  assert.equal((await httpGet(c.ports.http, `nope.${DOMAIN}`)).status === 200, false, 'an unknown host is not routed to the app');
  assert.match(await readFile(c.env.HAPROXY_DOMAIN_MAP, 'utf8'), new RegExp(`^app1\\.${DOMAIN.replace('.', '\\.')} app1$`, 'm'));

  // The HEALTHCHECK, exactly as Docker would run it inside the container.
  const health = await waitFor(async () => {
    const h = await runHealthcheck(image.healthcheck.command, c.env);
    return h.code === 0 ? h : undefined;
  }, { timeoutMs: 15_000, intervalMs: 200, message: `the HEALTHCHECK to pass\n${c.daemon.dump()}` });
  assert.equal(health.code, 0);
  const closed = await freePort();
  const failing = await runHealthcheck(image.healthcheck.command, { ...c.env, KEYPLATE_LISTEN: `127.0.0.1:${closed}` });
  assert.notEqual(failing.code, 0, `the HEALTHCHECK fails when nothing answers: ${failing.output}`);
  assert.match(failing.output, /healthz: /);

  // docker stop: SIGTERM to PID 1 (tini), which forwards it to keyplate.
  const all = await descendants(c.daemon.pid);
  const seen = new Map<number, string>();
  for (const p of all) seen.set(p, await cmdline(p));
  process.kill(c.daemon.pid, 'SIGTERM');
  assert.deepEqual(await c.daemon.exit, { code: 0, signal: null }, c.daemon.dump());
  const left: string[] = [];
  for (const [p, cmd] of seen) if ((await alive(p)) && (await cmdline(p)) === cmd) left.push(`${p} ${cmd}`);
  assert.deepEqual(left, [], 'nothing of the container is left running');
  assert.ok(c.daemon.events('stopped').length > 0, c.daemon.dump());
});
