/**
 * The zookeeper backend on the shared conformance suite against a real ZooKeeper 3.8 (standalone,
 * started with java on a free port), written with registrator's habits (parents created empty,
 * emptied parents removed). The outage stops ZooKeeper under the watch and starts it again on the
 * same data.
 */
import { openBackend } from '../../../src/backends/registry.ts';
import type { Backend } from '../../../src/backends/contract.ts';
import { startZooKeeper, zkWriter, type ZooKeeperServer } from '../../helpers/zookeeper.ts';
import { testBackend, type Op } from '../conformance.ts';
import { backendContext } from '../context.ts';

interface Subject {
  readonly backend: Backend;
  readonly zk: ZooKeeperServer;
  write(ops: readonly Op[]): Promise<void>;
}

testBackend<Subject>({
  name: 'zookeeper',
  async create(t) {
    const zk = await startZooKeeper(t);
    const backend = openBackend('zookeeper', 'zookeeper', { nodes: [zk.node] }, backendContext());
    return { zk, backend, write: zkWriter(t, zk.node) };
  },
  seed: (s, data) => s.write([...data].map(([key, value]) => ({ key, value }))),
  mutate: (s, ops) => s.write(ops),
  capabilities: {
    watch: true,
    deltas: 'a ZooKeeper watch fires once and carries no data: the watch re-reads the znode, so a burst may skip intermediate values (never the last)',
    resume: true,
    outage: { break: (s) => s.zk.stop(), repair: (s) => s.zk.start() },
  },
});
