/**
 * The nats backend on the shared conformance suite against a real nats-server 2.9 with JetStream
 * (a key-value bucket, history 1). The outage stops nats-server under the watch and starts it again
 * on the same store.
 */
import { openBackend } from '../../../src/backends/registry.ts';
import type { Backend } from '../../../src/backends/contract.ts';
import { natsWriter, startNats, type NatsServer } from '../../helpers/nats.ts';
import { testBackend, type Op } from '../conformance.ts';
import { backendContext } from '../context.ts';

interface Subject {
  readonly backend: Backend;
  readonly nats: NatsServer;
  write(ops: readonly Op[]): Promise<void>;
}

const natsKey = (key: string) => key.replace(/^\/+/, '').replaceAll('/', '.');

testBackend<Subject>({
  name: 'nats',
  async create(t) {
    const nats = await startNats(t);
    const writer = natsWriter(t, nats.server, 'config');
    await writer([]); // creates the bucket
    const backend = openBackend('nats', 'nats', { servers: [nats.server], bucket: 'config' }, backendContext());
    return { nats, backend, write: (ops) => writer(ops.map((op) => ({ ...op, key: natsKey(op.key) }))) };
  },
  seed: (s, data) => s.write([...data].map(([key, value]) => ({ key, value }))),
  mutate: (s, ops) => s.write(ops),
  capabilities: {
    watch: true,
    deltas: true,
    resume: true,
    outage: { break: (s) => s.nats.stop(), repair: (s) => s.nats.start() },
  },
});
