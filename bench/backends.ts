/**
 * (f) put → destination file updated, per backend (redis, nats, zookeeper) beside etcd, at 10 and 1,000 services × 3: the
 * same in-process runner, seed template and registrator-shaped data as (a), the data written to
 * each store under its own prefix.
 */
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { natsWriter, startNats } from '../test/helpers/nats.ts';
import { redisWriter, startRedis } from '../test/helpers/redis.ts';
import { startZooKeeper, zkWriter } from '../test/helpers/zookeeper.ts';
import type { Cleanup } from './lib/cleanup.ts';
import { putAll, seedKeys } from './lib/seed-data.ts';
import { fmtMs, median, p99, type Row } from './lib/stats.ts';
import { convergence } from './watch-convergence.ts';

export const BACKEND_SIZES = [10, 1_000] as const;

interface Store {
  readonly name: string;
  /** The backend block (without `prefix`, `keys`, `watch`). */
  readonly toml: string;
  seed(pairs: ReadonlyArray<[string, string]>): Promise<void>;
  put(key: string, value: string): Promise<unknown>;
}

/** `only`: the store names to run (all when absent), e.g. `['zookeeper']` for a quick check of one. */
export async function backendConvergence(o: { cleanup: Cleanup; kv: Etcd3; etcdUrl: string; dir: string; samples: number; log: (s: string) => void; only?: readonly string[] }): Promise<Row[]> {
  const wanted = (name: string) => o.only === undefined || o.only.includes(name);
  const [redis, nats, zk] = await Promise.all([
    wanted('redis') ? startRedis(o.cleanup) : undefined,
    wanted('nats') ? startNats(o.cleanup) : undefined,
    wanted('zookeeper') ? startZooKeeper(o.cleanup) : undefined,
  ]);
  const write = redis ? redisWriter(o.cleanup, redis.node) : undefined;
  const writeNats = nats ? natsWriter(o.cleanup, nats.server, 'bench') : undefined;
  const writeZk = zk ? zkWriter(o.cleanup, zk.node) : undefined;
  const natsKey = (k: string) => k.slice(1).split('/').map((seg) => seg.replace(/[^-\w=]/g, '_')).join('.');
  const all: Array<Store | undefined> = [
    {
      name: 'etcd v3',
      toml: `[resource.backend.etcd]\nnodes = [${JSON.stringify(o.etcdUrl)}]\nversion = 3`,
      seed: (pairs) => putAll(o.kv, pairs),
      put: (k, v) => o.kv.put(k).value(v).exec(),
    },
    redis && write && {
      name: 'redis',
      toml: `[resource.backend.redis]\nnodes = [${JSON.stringify(redis.node)}]`,
      async seed(pairs) {
        for (let i = 0; i < pairs.length; i += 500) await write([['MSET', ...pairs.slice(i, i + 500).flat()]]);
      },
      put: (k, v) => write([['SET', k, v]]),
    },
    nats && writeNats && {
      // NATS keys cannot hold the `:` of registrator ids: `_` instead (the template output differs only there)
      name: 'nats',
      toml: `[resource.backend.nats]\nservers = [${JSON.stringify(nats.server)}]\nbucket = "bench"`,
      seed: (pairs) => writeNats(pairs.map(([k, v]) => ({ key: natsKey(k), value: v }))),
      put: (k, v) => writeNats([{ key: natsKey(k), value: v }]),
    },
    zk && writeZk && {
      name: 'zookeeper',
      toml: `[resource.backend.zookeeper]\nnodes = [${JSON.stringify(zk.node)}]`,
      seed: (pairs) => writeZk(pairs.map(([key, value]) => ({ key, value }))),
      put: (k, v) => writeZk([{ key: k, value: v }]),
    },
  ];
  const stores = all.filter((s): s is Store => s !== undefined && wanted(s.name));
  const rows: Row[] = [];
  for (const s of stores) {
    for (const services of BACKEND_SIZES) {
      const prefix = `/e-${s.name.replace(/\W+/g, '')}-${services}`;
      o.log(`(f) ${s.name}: put → file updated, ${services} services`);
      await s.seed(seedKeys(prefix, services, 3));
      const r = await convergence(o.kv, {
        dir: o.dir, etcdUrl: o.etcdUrl, prefix, dst: join(o.dir, `${prefix.slice(1)}.cfg`), watch: true, services, samples: o.samples,
        backendToml: s.toml, put: s.put, probe: s.name === 'nats' ? 'bench_probe_80' : undefined,
      });
      rows.push({ measure: `(f) ${s.name}: put → file updated, ${services.toLocaleString('en')} services × 3`, samples: r.times.length, median: fmtMs(median(r.times)), tail: fmtMs(p99(r.times)) });
    }
  }
  await Promise.all([redis?.stop(), nats?.stop(), zk?.stop()]);
  return rows;
}
