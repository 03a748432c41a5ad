/**
 * The etcd backend on the shared conformance suite against a real etcd 3.4, through each API:
 * v3 (written with the etcd3 client) and v2 (written with the keys API, as registrator does).
 * The outage stops etcd under the watch and starts it again on the same data.
 */
import { openBackend } from '../../../src/backends/registry.ts';
import type { Backend } from '../../../src/backends/contract.ts';
import { startEtcd, v2Delete, v2Put, v3Client, waitHealthy, type EtcdServer } from '../../helpers/etcd.ts';
import { testBackend, type Capabilities } from '../conformance.ts';
import { backendContext } from '../context.ts';
import type { Etcd3 } from 'etcd3';

interface Subject {
  readonly backend: Backend;
  readonly etcd: EtcdServer;
  readonly kv: Etcd3;
}

const capabilities: Capabilities<Subject> = {
  watch: true,
  deltas: true,
  resume: true,
  outage: {
    break: (s) => s.etcd.stop(),
    async repair(s) {
      await s.etcd.start();
      await waitHealthy(s.etcd);
    },
  },
};

for (const version of [3, 2] as const) {
  testBackend<Subject>({
    name: `etcd v${version}`,
    async create(t) {
      const etcd = await startEtcd(t);
      const backend = openBackend('etcd', 'etcd', { nodes: [etcd.clientUrl], version }, backendContext());
      return { etcd, backend, kv: v3Client(t, etcd.clientUrl) };
    },
    async seed(s, data) {
      for (const [k, v] of data) await (version === 3 ? s.kv.put(k).value(v).exec() : v2Put(s.etcd.clientUrl, k, v));
    },
    async mutate(s, ops) {
      for (const op of ops) {
        if (version === 2) await (op.value === undefined ? v2Delete(s.etcd.clientUrl, op.key) : v2Put(s.etcd.clientUrl, op.key, op.value));
        else if (op.value === undefined) await s.kv.delete().key(op.key).exec();
        else await s.kv.put(op.key).value(op.value).exec();
      }
    },
    capabilities,
  });
}
