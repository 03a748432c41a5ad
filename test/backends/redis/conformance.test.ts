/**
 * The redis backend on the shared conformance suite against a real redis-server 7 (keyspace
 * notifications on, AOF on), written with the official client. The outage stops redis-server under
 * the watch and starts it again on the same data.
 */
import { openBackend } from '../../../src/backends/registry.ts';
import type { Backend } from '../../../src/backends/contract.ts';
import { redisWriter, startRedis, type RedisServer } from '../../helpers/redis.ts';
import { testBackend } from '../conformance.ts';
import { backendContext } from '../context.ts';

interface Subject {
  readonly backend: Backend;
  readonly redis: RedisServer;
  /** A writer connection, opened per use (the server may have been restarted). */
  write(args: string[][]): Promise<void>;
}

testBackend<Subject>({
  name: 'redis',
  async create(t) {
    const redis = await startRedis(t);
    const backend = openBackend('redis', 'redis', { nodes: [redis.node] }, backendContext());
    return { redis, backend, write: redisWriter(t, redis.node) };
  },
  seed: (s, data) => s.write([...data].map(([k, v]) => ['SET', k, v])),
  mutate: (s, ops) => s.write(ops.map((op) => (op.value === undefined ? ['DEL', op.key] : ['SET', op.key, op.value]))),
  capabilities: {
    watch: true,
    deltas: 'a keyspace notification names the key, not the value: the watch reads the key again, so a burst may skip intermediate values (never the last)',
    resume: true,
    outage: { break: (s) => s.redis.stop(), repair: (s) => s.redis.start() },
  },
});
