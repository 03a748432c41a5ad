/**
 * The registrator-style seed template (remco's HAProxy example) renders byte for byte the same
 * from every backend holding the same registrations as from etcd: etcd v3 and v2, redis, nats, a
 * YAML file and the in-memory backend, each read through the real feed. NATS keys cannot hold the
 * `:` of registrator ids, so there the ids are written with `_` (etcd gets the same data to compare).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openBackend } from '../../src/backends/registry.ts';
import type { Backend } from '../../src/backends/contract.ts';
import { startEtcd, v2Put, v3Client } from '../helpers/etcd.ts';
import { natsWriter, startNats } from '../helpers/nats.ts';
import { redisWriter, startRedis } from '../helpers/redis.ts';
import { tempDir } from '../helpers/tmp.ts';
import { startZooKeeper, zkWriter } from '../helpers/zookeeper.ts';
import { engine } from '../template/render.ts';
import { feedSpec, FeedDriver } from './conformance-driver.ts';
import { backendContext } from './context.ts';
import { FileStore } from './file-store.ts';

const SEED = fileURLToPath(new URL('../template/fixtures/haproxy-seed.tmpl', import.meta.url));

const DATA = new Map(Object.entries({
  '/config/redis/scheme': 'http',
  '/config/redis_test/scheme': 'http',
  '/config/redis_test/host_port': '6380',
  '/config/web/scheme': 'tcp',
  '/config/web/host_port': '8080',
  '/services/redis/host-1:redis:6379': '10.0.0.1:6379',
  '/services/redis_test/host-1:redis-test:6380': '10.0.0.2:6380',
  '/services/web/host-1:web-1:80': '10.0.0.3:80',
  '/services/web/host-2:web-2:80': '10.0.0.4:80',
  '/services/orphan/host-3:x:1': '10.0.0.5:1',
  '/other/ignored': 'x',
}));

async function render(b: Backend): Promise<string> {
  const d = new FeedDriver(b, feedSpec('/', ['/services', '/config']));
  try {
    await d.feed.load();
    return await engine().renderFile(SEED, { resource: 'haproxy', tree: d.feed.tree });
  } finally {
    await d.stop();
    await b.close();
  }
}

test('the registrator seed template renders the same from etcd v3, etcd v2, redis, zookeeper, file and memory', async (t) => {
  const [etcd, redis, zk, dir] = await Promise.all([startEtcd(t), startRedis(t), startZooKeeper(t), tempDir(t, 'keyplate-seed')]);
  const kv = v3Client(t, etcd.clientUrl);
  const writeRedis = redisWriter(t, redis.node);
  const file = new FileStore(join(dir, 'services.yaml'));
  for (const [k, v] of DATA) {
    await kv.put(k).value(v).exec();
    await v2Put(etcd.clientUrl, k, v);
  }
  await writeRedis([...DATA].map(([k, v]) => ['SET', k, v]));
  await zkWriter(t, zk.node)([...DATA].map(([key, value]) => ({ key, value })));
  await file.seed(DATA);
  const memory = openBackend('memory', 'memory', {}, backendContext()) as Backend & { set(k: string, v: string): void };
  for (const [k, v] of DATA) memory.set(k, v);

  const fromEtcd = await render(openBackend('etcd', 'etcd', { nodes: [etcd.clientUrl], version: 3 }, backendContext()));
  assert.match(fromEtcd, /server server_web_host-2:web-2:80 10\.0\.0\.4:80/);
  assert.match(fromEtcd, /acl is_redis_test url_beg \/redis_test/);
  const others = {
    'etcd v2': openBackend('etcd', 'etcd2', { nodes: [etcd.clientUrl], version: 2 }, backendContext()),
    redis: openBackend('redis', 'redis', { nodes: [redis.node] }, backendContext()),
    zookeeper: openBackend('zookeeper', 'zookeeper', { nodes: [zk.node] }, backendContext()),
    file: openBackend('file', 'file', { filepath: 'services.yaml' }, backendContext({ baseDir: dir })),
    memory,
  };
  for (const [name, b] of Object.entries(others)) assert.equal(await render(b), fromEtcd, `${name} renders as etcd does`);
});

test('the registrator seed template renders the same from nats as from etcd (ids with _ for :)', async (t) => {
  const [etcd, nats] = await Promise.all([startEtcd(t), startNats(t)]);
  const kv = v3Client(t, etcd.clientUrl);
  const data = [...DATA].map(([k, v]) => [k.replaceAll(':', '_'), v] as const);
  for (const [k, v] of data) await kv.put(k).value(v).exec();
  await natsWriter(t, nats.server, 'services')(data.map(([k, v]) => ({ key: k.slice(1).replaceAll('/', '.'), value: v })));
  const fromEtcd = await render(openBackend('etcd', 'etcd', { nodes: [etcd.clientUrl], version: 3 }, backendContext()));
  assert.match(fromEtcd, /server server_web_host-2_web-2_80 10\.0\.0\.4:80/);
  assert.equal(await render(openBackend('nats', 'nats', { servers: [nats.server], bucket: 'services' }, backendContext())), fromEtcd);
});
