/**
 * The real image running examples/etcd-haproxy (mounted over /etc/keyplate) exactly as
 * docs/docker.md shows it, against a real etcd on the host with registrator's keys (the v2 keys
 * API, as gliderlabs/registrator writes them): Host routing, a server added live, the dry run of
 * the same config, and a clean `podman stop`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort, httpGet, startBackend } from '../haproxy/harness.ts';
import { startEtcd } from '../helpers/etcd.ts';
import { waitFor } from '../helpers/wait.ts';
import { containerName, docsBlock, docsCommand, ensureImage, healthcheck, assertStopsCleanly, podman, runDocsCommand } from './podman.ts';

async function v2Put(clientUrl: string, key: string, value: string): Promise<void> {
  const r = await fetch(`${clientUrl}/v2/keys${key}`, { method: 'PUT', body: new URLSearchParams({ value }), signal: AbortSignal.timeout(10_000) });
  assert.ok(r.ok, `PUT ${key}: ${r.status} ${await r.text()}`);
}

test('the image runs your own config (examples/etcd-haproxy) against a real etcd, as docs/docker.md shows it', { timeout: 300_000 }, async (t) => {
  await ensureImage();
  const etcd = await startEtcd(t);
  const a = await startBackend(t, 'whoami-a');
  const b = await startBackend(t, 'whoami-b');
  await v2Put(etcd.clientUrl, '/hosts/whoami.localhost', 'whoami');
  await v2Put(etcd.clientUrl, '/services/whoami/node1:whoami-a:80', `127.0.0.1:${a.port}`);

  const name = containerName(t, 'etcd');
  const ports = { http: await freePort(), listen: await freePort() };
  const command = docsCommand(await docsBlock('## Run your own config'), 'docker run');
  const started = await runDocsCommand(command, {
    rename: { from: 'lb', to: name },
    env: { ETCD_NODE: etcd.clientUrl },
    plumbing: ['--network=host', `-e=HTTP_BIND=127.0.0.1:${ports.http}`, `-e=KEYPLATE_LISTEN=127.0.0.1:${ports.listen}`],
  });
  assert.equal(started.code, 0, `${command}\n${started.stderr}`);
  const logs = async () => { const l = await podman(['logs', name]); return `${l.stdout}${l.stderr}`; };

  await waitFor(async () => (await healthcheck(name)).code === 0, { timeoutMs: 60_000, intervalMs: 250, message: `podman healthcheck run to pass\n${await logs()}` });
  const first = await waitFor(async () => { const r = await httpGet(ports.http, 'whoami.localhost'); return r.status === 200 ? r : undefined; }, { timeoutMs: 15_000, message: 'whoami.localhost to be routed' });
  assert.equal(first.body, 'whoami-a');
  assert.notEqual((await httpGet(ports.http, 'other.localhost')).status, 200, 'an unmapped host is not routed');

  // registrator registers a second container: HAProxy gets the server live
  await v2Put(etcd.clientUrl, '/services/whoami/node1:whoami-b:80', `127.0.0.1:${b.port}`);
  await waitFor(async () => (await httpGet(ports.http, 'whoami.localhost')).body === 'whoami-b', { timeoutMs: 30_000, message: `round robin to reach whoami-b\n${await logs()}` });

  // the dry run of the same config: a diff against the container's (empty) files, nothing written
  const dry = docsCommand(await docsBlock('## Dry runs', 1), 'docker run --rm -v');
  const diff = await runDocsCommand(dry, { env: { ETCD_NODE: etcd.clientUrl }, plumbing: ['--network=host'] });
  assert.equal(diff.code, 0, `${dry}\n${diff.stderr}`);
  assert.match(diff.stdout, /^\+whoami\.localhost be_whoami$/m, diff.stdout);
  assert.match(diff.stdout, new RegExp(`^\\+\\s+server \\S+ 127\\.0\\.0\\.1:${b.port}`, 'm'), diff.stdout);

  await assertStopsCleanly(name);
});
