/**
 * The compose examples stay honest: parsed with `yaml`, every file and directory they reference
 * exists in the repository, every environment variable they give keyplate is one its config reads,
 * the config they run loads (keyplate's own loader) with exactly that environment, and the wiring
 * between the services (etcd v2 for registrator, the registrator prefix in keyplate's keys, the
 * Rancher metadata the preset reads, the health check port) matches.
 */
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import { startRancherMetadata } from '../emulator/rancher-metadata.ts';
import { rancherHaproxyWorld } from '../emulator/world.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';
import { REPO } from '../helpers/daemon.ts';
import { readImage, type Image } from './prod-image.ts';

type Service = {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  labels?: Record<string, string>;
  volumes_from?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  health_check?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
};
type Compose = { services: Record<string, Service> };

async function readCompose(rel: string): Promise<Compose> {
  const doc = parse(await readFile(join(REPO, rel), 'utf8')) as Compose;
  assert.ok(doc && typeof doc.services === 'object', `${rel}: has services`);
  return doc;
}

/** `${NAME` references in a config file. */
async function referencedVars(file: string): Promise<Set<string>> {
  return new Set([...(await readFile(file, 'utf8')).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
}

/** The image's ENV with paths the image copies mapped back to the repository. */
function imageEnvOnHost(image: Image): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(image.env)) {
    const copy = image.copies.find((c) => c.from === undefined && c.sources.length === 1 && (v === c.dest || v.startsWith(`${c.dest}/`)));
    env[k] = copy ? join(REPO, copy.sources[0], v.slice(copy.dest.length)) : v;
  }
  return env;
}

describe('compose examples', () => {
  it('examples/registrator-etcd/docker-compose.yml: etcd (v2) ← registrator; keyplate runs the mounted etcd-haproxy config', async () => {
    const rel = 'examples/registrator-etcd/docker-compose.yml';
    const here = dirname(join(REPO, rel));
    const { services } = await readCompose(rel);
    const image = await readImage();
    const { etcd, registrator, keyplate, hosts } = services;
    assert.ok(etcd && registrator && keyplate && hosts, 'etcd, registrator, keyplate and the hosts job');

    assert.ok(etcd.command?.includes('--enable-v2=true'), 'etcd serves the v2 API registrator writes');
    assert.ok(etcd.command?.includes('--advertise-client-urls=http://etcd:2379'));

    assert.match(registrator.image ?? '', /^gliderlabs\/registrator:/);
    const uri = registrator.command?.find((a) => a.startsWith('etcd://'));
    assert.ok(uri, 'registrator gets an etcd:// registry URI');
    const registry = new URL(uri.replace(/^etcd:/, 'http:'));
    assert.equal(registry.host, 'etcd:2379', 'registrator writes to the etcd service');
    assert.ok(registrator.volumes?.some((v) => v.startsWith('/var/run/docker.sock:/tmp/docker.sock')), 'registrator sees the Docker socket');

    // keyplate: built from this repository, the config mounted where the image looks for it.
    const context = resolve(here, keyplate.build?.context ?? '.');
    await access(join(context, keyplate.build?.dockerfile ?? 'Dockerfile'));
    assert.equal(context, resolve(REPO), 'the build context is the repository');
    const configDir = posix.dirname(image.env.KEYPLATE_CONFIG);
    const mount = keyplate.volumes?.map((v) => v.split(':')).find(([, target]) => target === configDir);
    assert.ok(mount, `a directory is mounted over ${configDir}`);
    const configFile = join(resolve(here, mount[0]), posix.basename(image.env.KEYPLATE_CONFIG));
    await access(configFile);

    const env = { ...imageEnvOnHost(image), ...keyplate.environment };
    const vars = await referencedVars(configFile);
    const unknown = Object.keys(keyplate.environment ?? {}).filter((k) => !vars.has(k) && !(k in image.env));
    assert.deepEqual(unknown, [], 'every variable given to keyplate is read by its config');
    const config = await loadConfig({ file: configFile, env });
    const backend = config.resources[0].backends.find((b) => b.kind === 'etcd');
    assert.ok(backend, 'the config reads etcd');
    const nodes = (backend.options as { nodes: string[] }).nodes;
    assert.deepEqual(nodes.map((n) => new URL(n).host), ['etcd:2379'], 'keyplate reads the etcd service');
    assert.ok((backend.keys as readonly string[]).includes(registry.pathname), `keyplate reads registrator's prefix ${registry.pathname}`);
    assert.ok(backend.watch, 'and watches it');
    for (const sock of [config.haproxy?.masterSocket, config.haproxy?.adminSocket]) {
      assert.ok(sock && ['/run', '/var/run', '/tmp'].includes(posix.dirname(sock)), `socket ${sock} is in a directory every image has`);
    }
    const published = (keyplate.ports ?? []).map((p) => p.split(':').pop());
    assert.ok(published.includes(String(config.resources[0].vars?.http_bind).replace(/^.*:/, '')), 'the HTTP bind port is published');

    // The hosts job maps a host to the sample app's SERVICE_NAME, under a prefix keyplate reads,
    // in the v2 keyspace (where registrator's keys are), before keyplate starts.
    const cmd = hosts.command ?? [];
    const [key, service] = cmd.slice(cmd.indexOf('set') + 1);
    assert.equal(hosts.environment?.ETCDCTL_API, '2');
    assert.ok(backend.keys.some((k) => key.startsWith(`${k}/`)), `${key} is under keyplate's keys`);
    const app = Object.values(services).find((s) => s.environment?.SERVICE_NAME !== undefined);
    assert.equal(app?.environment?.SERVICE_NAME, service, 'the host maps to the sample app');
    assert.deepEqual((keyplate.depends_on as Record<string, { condition: string }>).hosts, { condition: 'service_completed_successfully' });
  });

  it('examples/rancher: the preset as one container, metadata with aliases and ssl_cert/ssl_key', async (t) => {
    const compose = await readCompose('examples/rancher/docker-compose.yml');
    const rancher = await readCompose('examples/rancher/rancher-compose.yml');
    const image = await readImage();
    assert.deepEqual(Object.keys(compose.services), ['HTTP'], 'one service');
    const http = compose.services.HTTP;
    assert.equal(http.volumes_from, undefined, 'no shared volume');
    assert.equal(http.labels?.['io.rancher.sidekicks'], undefined, 'no sidekick');

    const configFile = join(REPO, 'config.toml');
    const vars = await referencedVars(configFile);
    const unknown = Object.keys(http.environment ?? {}).filter((k) => !vars.has(k));
    assert.deepEqual(unknown, [], 'every variable is one the preset reads');
    const config = await loadConfig({ file: configFile, env: { ...imageEnvOnHost(image), ...http.environment } });
    const res = config.resources[0];
    assert.ok(res.templates.some((t) => t.dst.endsWith('server.pem')), 'ENABLE_SSL=true renders the PEM');
    const ports = (http.ports ?? []).map((p) => p.split(':').pop()!.replace('/tcp', ''));
    assert.deepEqual(ports.sort(), [res.vars?.http_port, res.vars?.https_port].sort(), 'the published ports are the ones HAProxy binds');

    const meta = rancher.services.HTTP?.metadata;
    assert.ok(meta, 'rancher-compose.yml has metadata for HTTP');
    const aliases = meta.aliases as Record<string, unknown>;
    assert.ok(Object.values(aliases).every((a) => Array.isArray(a) && a.every((x) => typeof x === 'string')), 'aliases: stack → list of names');
    assert.match(String(meta.ssl_cert), /-----BEGIN CERTIFICATE-----/);
    assert.match(String(meta.ssl_key), /-----BEGIN PRIVATE KEY-----/);
    const backend = res.backends.find((b) => b.kind === 'rancher');
    assert.ok((backend?.keys as readonly string[] | undefined)?.includes('/self/service/metadata'), 'the rancher backend reads the service metadata');

    // The preset renders this metadata as intended: served by the metadata emulator, one app stack.
    const world = rancherHaproxyWorld({ apps: [{ stack: 'app1' }], aliases: aliases as Record<string, string[]>, sslCert: String(meta.ssl_cert), sslKey: String(meta.ssl_key) });
    const emu = await startRancherMetadata({ world });
    t.after(() => emu.close());
    const dir = await tempDir(t, 'keyplate-compose-render');
    const out = await runCli(['render', '-c', configFile], {
      env: { ...imageEnvOnHost(image), ...http.environment, RANCHER_API_HOST: emu.host, HAPROXY_SSL_CERT: join(dir, 'server.pem'), HAPROXY_DOMAIN_MAP: join(dir, 'domain.map') },
    });
    assert.equal(out.code, 0, out.stderr);
    const domain = http.environment?.STACK_DOMAIN;
    for (const host of ['app1', ...(aliases.app1 as string[])]) assert.match(out.stdout, new RegExp(`^${host}\\.${domain?.replaceAll('.', '\\.')} app1$`, 'm'), out.stdout);
    assert.ok(out.stdout.includes(String(meta.ssl_cert).trim()) && out.stdout.includes(String(meta.ssl_key).trim()), 'the PEM holds ssl_cert and ssl_key');

    const hc = rancher.services.HTTP.health_check;
    assert.ok(hc, 'a Rancher health check');
    assert.equal(String(hc.port), http.environment?.KEYPLATE_LISTEN?.split(':').pop(), 'it probes the status listener');
    assert.match(String(hc.request_line), /\/healthz/);
    assert.equal(hc.strategy, 'none', 'never recreates the load balancer');
  });
});
