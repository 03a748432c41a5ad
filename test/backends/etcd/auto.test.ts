/** etcd backend: version "auto", the v2/v3 keyspace warning, options, lazy gRPC loading, errors. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { etcdBackend, type EtcdBackend } from '../../../src/backends/etcd/backend.ts';
import { openBackend } from '../../../src/backends/registry.ts';
import { BackendError, ConfigError } from '../../../src/errors.ts';
import { normalizeKey } from '../../../src/tree/keys.ts';
import { freePort, startEtcd, v3Client } from '../../helpers/etcd.ts';
import { captureLogger, silentLogger, type CapturedLogger } from '../../helpers/logger.ts';
import { FayrusRegistrator, GliderlabsRegistrator, serviceId } from '../../helpers/registrator.ts';

const K = (s: string) => normalizeKey(s);
const web = { name: 'web', id: serviceId('host1', 'web', 80), ip: '10.0.0.9', port: 8080 };

function backend(t: { after: (fn: () => unknown) => void }, options: Record<string, unknown>, log: CapturedLogger): EtcdBackend {
  const b = openBackend('etcd', 'etcd', options, { logger: log.logger, env: {}, fetch: globalThis.fetch, baseDir: '.' });
  t.after(() => b.close());
  return b as EtcdBackend;
}

test('etcd auto: v2 for gliderlabs/registrator data, v3 for fayrus fork data, logged with the reason', async (t) => {
  const etcd = await startEtcd(t);
  await new GliderlabsRegistrator(etcd.clientUrl, { prefix: '/services' }).register(web);
  await new FayrusRegistrator(v3Client(t, etcd.clientUrl), { prefix: '/fork' }).register(web);

  const logV2 = captureLogger('info');
  const b2 = backend(t, { nodes: [etcd.clientUrl] }, logV2);
  const s2 = await b2.getValues([K('/services')]);
  assert.equal(s2.values.get(K('/services/web/host1:web:80')), '10.0.0.9:8080');
  assert.equal(await b2.selectedVersion(), 2);
  assert.match(logV2.text(), /using the v2 API: no keys under \/services in the v3 keyspace but 1 in the v2 keyspace/);

  const logV3 = captureLogger('info');
  const b3 = backend(t, { nodes: [etcd.clientUrl], version: 'auto' }, logV3);
  const s3 = await b3.getValues([K('/fork')]);
  assert.equal(s3.values.get(K('/fork/web/host1:web:80')), '10.0.0.9:8080');
  assert.equal(await b3.selectedVersion(), 3);
  assert.match(logV3.text(), /using the v3 API \(1 key\(s\) under \/fork/);
});

test('etcd: an explicit version that finds nothing warns when the other keyspace has the data', async (t) => {
  const etcd = await startEtcd(t);
  await new GliderlabsRegistrator(etcd.clientUrl, { prefix: '/services' }).register(web);
  const log = captureLogger('info');
  const b = backend(t, { nodes: [etcd.clientUrl], version: 3 }, log);
  const snap = await b.getValues([K('/services')]);
  assert.equal(snap.values.size, 0);
  const warn = log.lines.find((l) => l.level === 40);
  assert.ok(warn, log.text());
  assert.match(String(warn.msg), /version = 3 finds no keys under \/services, but the v2 API has 1/);
  assert.match(String(warn.msg), /keyspaces separate/);
});

test('etcd: both keyspaces empty under "auto" picks v3 and explains how to choose v2', async (t) => {
  const etcd = await startEtcd(t);
  const log = captureLogger('info');
  const b = backend(t, { nodes: [etcd.clientUrl] }, log);
  assert.equal((await b.getValues([K('/nothing')])).values.size, 0);
  assert.equal(await b.selectedVersion(), 3);
  assert.match(log.text(), /set version = 2/);
});

test('etcd: unreachable nodes give a retryable BackendError with its cause', async (t) => {
  const dead = `127.0.0.1:${await freePort()}`;
  for (const version of [2, 3, 'auto']) {
    const b = backend(t, { nodes: [dead], version, request_timeout: 3 }, captureLogger());
    await assert.rejects(b.getValues([K('/x')]), (e: unknown) => {
      assert.ok(e instanceof BackendError, String(e));
      assert.equal(e.retryable, true);
      assert.ok(e.cause !== undefined);
      assert.match(e.message, /^\[backend:etcd\] etcd v[23]/);
      return true;
    });
  }
  const ctrl = new AbortController();
  ctrl.abort();
  const b = backend(t, { nodes: [dead], version: 2 }, captureLogger());
  await assert.rejects(b.getValues([K('/x')], { signal: ctrl.signal }), /aborted/);
});

test('etcd options: validated with the option name', () => {
  const ctx = { logger: silentLogger(), env: {}, fetch: globalThis.fetch, baseDir: '.' };
  const create = (o: Record<string, unknown>) => () => openBackend('etcd', 'e', o, ctx);
  assert.throws(create({ node: ['x:1'] }), (e: unknown) => e instanceof ConfigError && /node: unknown key "node" for backend "etcd".*did you mean "nodes"/.test(e.message));
  assert.throws(create({ version: 4 }), /version: expected one of "auto", "2", "3"/);
  assert.throws(create({ nodes: [] }), /nodes: expected at least one/);
  assert.throws(create({ client_cert: 'c.pem' }), /client_key: client_cert and client_key must be given together/);
  assert.throws(create({ password: 'p' }), /password needs a username/);
  assert.throws(create({ request_timeout: -1 }), /request_timeout: expected a duration/);
  assert.throws(create({ request_timeout: 0 }), /request_timeout: must be at least 0.001 seconds/);
  assert.doesNotThrow(create({ nodes: ['h:2379', 'https://x:2379/'], version: 'v3', username: 'u', password: 'p' }));
  assert.equal(etcdBackend.options.keys.password.secret, true);
  for (const [name, spec] of Object.entries(etcdBackend.options.keys)) assert.ok(spec.description.length > 20, name);
});

test('etcd: a missing TLS file is a non-retryable BackendError naming the file', async (t) => {
  const b = backend(t, { nodes: ['127.0.0.1:1'], version: 3, client_ca_keys: 'no/such/ca.pem' }, captureLogger());
  await assert.rejects(b.getValues([K('/x')]), (e: unknown) => {
    assert.ok(e instanceof BackendError);
    assert.equal(e.retryable, false);
    assert.match(e.message, /client_ca_keys file .*no\/such\/ca\.pem/);
    return true;
  });
});

test('etcd: importing the definition does not load gRPC, nor does a first v3 read (JSON gateway); a watch does', async (t) => {
  const etcd = await startEtcd(t);
  const script = `
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const grpcLoaded = () => Object.keys(require('node:module')._cache).some((k) => k.includes('@grpc'));
    const { openBackend } = await import('./src/backends/registry.ts');
    const before = grpcLoaded();
    const b = openBackend('etcd', 'e', { nodes: [process.argv[1]], version: 3 }, { logger: { info() {}, warn() {}, debug() {}, error() {} }, env: {}, fetch, baseDir: '.' });
    await b.getValues(['/x']);
    const read = grpcLoaded();
    const unwatch = await b.watch(['/x'], () => {});
    const after = grpcLoaded();
    await unwatch();
    await b.close();
    console.log(JSON.stringify({ before, read, after }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, etcd.clientUrl], {
    cwd: new URL('../../..', import.meta.url).pathname,
    timeout: 30_000,
  });
  assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)!), { before: false, read: false, after: true });
});
