/**
 * The nats backend over TLS: nats-server 2.9 with JetStream, a certificate from a throwaway CA and
 * client certificates required (`--tlsverify`); the backend connects with `client_ca_keys`,
 * `client_cert` and `client_key`, reads and watches the bucket. Without the client certificate it
 * is refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openBackend } from '../../../src/backends/registry.ts';
import type { WatchEvent } from '../../../src/backends/contract.ts';
import { BackendError } from '../../../src/errors.ts';
import { normalizeKey } from '../../../src/tree/keys.ts';
import { NATS_BIN } from '../../helpers/nats.ts';
import { startServer, tcpAsk } from '../../helpers/server.ts';
import { makePki } from '../../helpers/tls.ts';
import { waitFor } from '../../helpers/wait.ts';
import { backendContext } from '../context.ts';

test('nats over TLS: the backend reads and watches with ca, cert and key; without a client certificate it is refused', async (t) => {
  const pki = await makePki(t);
  const server = await startServer(t, {
    label: 'nats-tls',
    ports: 2,
    command: ([port, monitor], dir) => ({
      bin: NATS_BIN,
      args: ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-js', '-sd', `${dir}/js`, '-n', 'keyplate-tls',
        '--tlsverify', '--tlscert', pki.serverCert, '--tlskey', pki.serverKey, '--tlscacert', pki.ca],
    }),
    // the INFO line comes before the TLS handshake; /healthz once JetStream is up
    ready: async ([port, monitor]) =>
      (await tcpAsk(port, '')).startsWith('INFO ') &&
      (await fetch(`http://127.0.0.1:${monitor}/healthz`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false)),
  });
  const address = `127.0.0.1:${server.ports[0]}`;
  const [{ connect }, { Kvm }] = await Promise.all([import('@nats-io/transport-node'), import('@nats-io/kv')]);
  const nc = await connect({ servers: [address], tls: { ca: await pki.read(pki.ca), cert: await pki.read(pki.clientCert), key: await pki.read(pki.clientKey) } });
  t.after(() => nc.close());
  const kv = await new Kvm(nc).create('config');
  await kv.put('app.db.host', 'db.internal');

  const b = openBackend('nats', 'nats', { servers: [address], bucket: 'config', client_ca_keys: pki.ca, client_cert: pki.clientCert, client_key: pki.clientKey }, backendContext());
  t.after(() => b.close());
  const snap = await b.getValues([normalizeKey('/app')]);
  assert.deepEqual(Object.fromEntries(snap.values), { '/app/db/host': 'db.internal' });
  const events: WatchEvent[] = [];
  const stop = await b.watch!([normalizeKey('/app')], (e) => events.push(e), { since: snap.revision });
  t.after(stop);
  await kv.put('app.db.port', '5432');
  await waitFor(() => events.some((e) => e.type === 'change' && e.changes?.some((c) => c.key === '/app/db/port' && c.value === '5432')), { message: 'the change over TLS' });

  const noCert = openBackend('nats', 'n2', { servers: [address], bucket: 'config', client_ca_keys: pki.ca, request_timeout: 3 }, backendContext());
  t.after(() => noCert.close());
  await assert.rejects(noCert.getValues([normalizeKey('/app')]), (e: unknown) => e instanceof BackendError);
  const noTls = openBackend('nats', 'n3', { servers: [address], bucket: 'config', request_timeout: 3 }, backendContext());
  t.after(() => noTls.close());
  await assert.rejects(noTls.getValues([normalizeKey('/app')]), (e: unknown) => e instanceof BackendError);
});
