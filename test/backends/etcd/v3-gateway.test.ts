/**
 * The v3 read through etcd's JSON gateway (a one-shot and a daemon's first read): the same
 * snapshot and revision as the gRPC read, one revision across chunks, and the gRPC path whenever
 * the gateway cannot answer.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { BackendError } from '../../../src/errors.ts';
import { openBackend } from '../../../src/backends/registry.ts';
import { nodeFetch } from '../../../src/backends/node-fetch.ts';
import { readThroughGateway } from '../../../src/backends/etcd/v3-gateway.ts';
import { DEFAULT_BACKOFF, type EtcdConnection } from '../../../src/backends/etcd/common.ts';
import { systemClock } from '../../../src/schedule/schedule.ts';
import { normalizeKey } from '../../../src/tree/keys.ts';
import { startEtcd, v3Client } from '../../helpers/etcd.ts';
import { silentLogger } from '../../helpers/logger.ts';

const K = (s: string) => normalizeKey(s);

function conn(url: string): EtcdConnection {
  return { name: 'etcd', nodes: [url], requestTimeoutMs: 5_000, longPollMs: 60_000, backoff: DEFAULT_BACKOFF, watchdogMs: 10_000, clock: systemClock };
}

test('etcd v3 gateway: the snapshot equals the gRPC read; later chunks are pinned to the first revision', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  await kv.put('/a/x').value('1');
  await kv.put('/a/y').value('');
  await kv.put('/a-sibling').value('no');
  await kv.put('/b/ünïcode key').value('välue');
  const prefixes = [K('/a'), K('/b')];

  // one prefix per txn; a put lands between the two requests: the second is read at the first's revision
  let calls = 0;
  const racing: typeof fetch = async (input, init) => {
    const res = await nodeFetch(input, init);
    if (++calls === 1) await kv.put('/b/late').value('after the first chunk');
    return res;
  };
  const snap = await readThroughGateway(conn(etcd.clientUrl), racing, prefixes, 1);
  assert.ok(snap);
  assert.equal(calls, 2);
  assert.deepEqual([...snap.values].sort(), [['/a/x', '1'], ['/a/y', ''], ['/b/ünïcode key', 'välue']]);

  // the gRPC read at the same revision sees exactly the same
  const grpc = openBackend('etcd', 'g', { nodes: [etcd.clientUrl], version: 3 }, { logger: silentLogger(), env: {}, fetch: () => Promise.reject(new Error('no gateway')), baseDir: '.' });
  t.after(() => grpc.close());
  const viaGrpc = await grpc.getValues(prefixes);
  assert.ok(BigInt(viaGrpc.revision!) > BigInt(snap.revision!), 'the gRPC read came after the late put');
  assert.deepEqual([...viaGrpc.values].sort(), [...snap.values, ['/b/late', 'after the first chunk']].sort());
});

test('etcd v3 gateway: refused or failed → undefined (the backend then reads through gRPC); credentials skip it', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  await kv.put('/a/x').value('1');
  assert.equal(await readThroughGateway(conn(etcd.clientUrl), () => Promise.reject(new TypeError('fetch failed')), [K('/a')], 100), undefined);
  assert.equal(await readThroughGateway({ ...conn(etcd.clientUrl), username: 'u', password: 'p' }, nodeFetch, [K('/a')], 100), undefined);
  assert.equal(await readThroughGateway(conn('http://127.0.0.1:9'), nodeFetch, [K('/a')], 100), undefined);
  await kv.put('/a/z').value('2');
  assert.equal(await readThroughGateway(conn(etcd.clientUrl), nodeFetch, [K('/a')], 100, undefined, 1), undefined, 'more keys than the limit: gRPC reads it');
  assert.equal((await readThroughGateway(conn(etcd.clientUrl), nodeFetch, [K('/a')], 100, undefined, 2))?.values.size, 2);

  let gatewayCalls = 0;
  const failing: typeof fetch = () => {
    gatewayCalls++;
    return Promise.reject(new TypeError('fetch failed'));
  };
  const b = openBackend('etcd', 'e', { nodes: [etcd.clientUrl], version: 3 }, { logger: silentLogger(), env: {}, fetch: failing, baseDir: '.' });
  t.after(() => b.close());
  const snap = await b.getValues([K('/a')]);
  assert.equal(gatewayCalls, 1);
  assert.deepEqual([...snap.values].sort(), [['/a/x', '1'], ['/a/z', '2']]);
});

/** A TCP listener that accepts and never answers (a blackhole). */
async function blackhole(t: { after(fn: () => unknown): void }): Promise<string> {
  const held: Socket[] = [];
  const server = createServer((s) => held.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of held) s.destroy();
    server.close();
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return `http://127.0.0.1:${addr.port}`;
}

test('etcd v3 gateway: every node silent for request_timeout → a retryable BackendError at once, not a second wait through gRPC', async (t) => {
  const silent = await blackhole(t);
  const c = { ...conn(silent), requestTimeoutMs: 300 };
  const started = Date.now();
  const e = await readThroughGateway(c, nodeFetch, [K('/a')], 100).then(() => undefined, (x: unknown) => x);
  assert.ok(e instanceof BackendError, `got ${String(e)}`);
  assert.equal(e.retryable, true);
  assert.match(e.message, /no answer within 300 ms \(request_timeout\)/);
  assert.ok(Date.now() - started >= 300);

  // a silent node then a live one: the live one answers
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  await kv.put('/a/x').value('1');
  const snap = await readThroughGateway({ ...c, nodes: [silent, etcd.clientUrl] }, nodeFetch, [K('/a')], 100);
  assert.deepEqual([...(snap?.values ?? [])], [['/a/x', '1']]);
  // a silent node then one that refuses the connection: gRPC may still get through, so no error here
  assert.equal(await readThroughGateway({ ...c, nodes: [silent, 'http://127.0.0.1:9'] }, nodeFetch, [K('/a')], 100), undefined);
});
