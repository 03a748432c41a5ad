/**
 * The redis backend over TLS: redis-server 7 listening only on a TLS port with a certificate from a
 * throwaway CA and requiring client certificates; the backend connects with `client_ca_keys`,
 * `client_cert` and `client_key`, reads and watches. Without the client certificate, or without
 * the CA, it is refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { createClient } from '@redis/client';
import { openBackend } from '../../../src/backends/registry.ts';
import type { WatchEvent } from '../../../src/backends/contract.ts';
import { BackendError } from '../../../src/errors.ts';
import { normalizeKey } from '../../../src/tree/keys.ts';
import { REDIS_BIN } from '../../helpers/redis.ts';
import { startServer } from '../../helpers/server.ts';
import { makePki, type TestPki } from '../../helpers/tls.ts';
import { waitFor } from '../../helpers/wait.ts';
import { backendContext } from '../context.ts';

/** PING over TLS with the client certificate: true once redis answers +PONG. */
async function tlsPing(port: number, pki: TestPki): Promise<boolean> {
  const [ca, cert, key] = await Promise.all([pki.read(pki.ca), pki.read(pki.clientCert), pki.read(pki.clientKey)]);
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, cert, key, servername: 'localhost' }, () => s.write('PING\r\n'));
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('data', (b) => done(b.toString().startsWith('+PONG')));
    s.once('error', () => done(false));
    setTimeout(() => done(false), 1_000).unref();
  });
}

test('redis over TLS: the backend reads and watches with ca, cert and key; without them it is refused', async (t) => {
  const pki = await makePki(t);
  const server = await startServer(t, {
    label: 'redis-tls',
    ports: 1,
    command: ([port], dir) => ({
      bin: REDIS_BIN,
      args: [
        '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--logfile', '',
        '--tls-cert-file', pki.serverCert, '--tls-key-file', pki.serverKey, '--tls-ca-cert-file', pki.ca, '--tls-auth-clients', 'yes',
        '--notify-keyspace-events', 'KA', '--loglevel', 'warning',
      ],
    }),
    ready: ([port]) => tlsPing(port, pki),
  });
  const node = `127.0.0.1:${server.ports[0]}`;
  const writer = createClient({
    socket: { host: '127.0.0.1', port: server.ports[0], tls: true, ca: await pki.read(pki.ca), cert: await pki.read(pki.clientCert), key: await pki.read(pki.clientKey), reconnectStrategy: false },
  });
  writer.on('error', () => {});
  await writer.connect();
  t.after(() => writer.destroy());
  await writer.set('/app/db/host', 'db.internal');

  const b = openBackend('redis', 'redis', { nodes: [node], client_ca_keys: pki.ca, client_cert: pki.clientCert, client_key: pki.clientKey }, backendContext());
  t.after(() => b.close());
  assert.deepEqual(Object.fromEntries((await b.getValues([normalizeKey('/app')])).values), { '/app/db/host': 'db.internal' });
  const events: WatchEvent[] = [];
  const stop = await b.watch!([normalizeKey('/app')], (e) => events.push(e));
  t.after(stop);
  await writer.set('/app/db/port', '5432');
  await waitFor(() => events.some((e) => e.type === 'change' && e.changes?.some((c) => c.key === '/app/db/port' && c.value === '5432')), { message: 'the change over TLS' });

  const noCert = openBackend('redis', 'r2', { nodes: [node], client_ca_keys: pki.ca, request_timeout: 3 }, backendContext());
  t.after(() => noCert.close());
  await assert.rejects(noCert.getValues([normalizeKey('/app')]), (e: unknown) => e instanceof BackendError);
  const noCa = openBackend('redis', 'r3', { nodes: [node], client_cert: pki.clientCert, client_key: pki.clientKey, request_timeout: 3 }, backendContext());
  t.after(() => noCa.close());
  await assert.rejects(noCa.getValues([normalizeKey('/app')]), (e: unknown) => e instanceof BackendError && /certificate|self.signed|verify/i.test(e.message));
  const plain = openBackend('redis', 'r4', { nodes: [node], request_timeout: 3 }, backendContext());
  t.after(() => plain.close());
  await assert.rejects(plain.getValues([normalizeKey('/app')]), (e: unknown) => e instanceof BackendError);
});
