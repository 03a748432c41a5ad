/**
 * Registrator-shaped data for the seed template (examples/registrator-etcd/haproxy.tmpl), written
 * to a real etcd through the v3 API in transactions, under a prefix so several data sets can live
 * in one etcd:
 *   <prefix>/config/svcN/scheme        http | tcp
 *   <prefix>/config/svcN/host_port     every 10th service
 *   <prefix>/services/svcN/hostJ:svcN.J:80 = 10.x.y.z:port   (J < instances)
 */
import type { Etcd3 } from 'etcd3';

/** etcd's default --max-txn-ops is 128. */
const OPS_PER_TXN = 100;
const PARALLEL_TXNS = 8;

export function seedKeys(prefix: string, services: number, instances: number): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let n = 0; n < services; n++) {
    const svc = `svc${n}`;
    out.push([`${prefix}/config/${svc}/scheme`, n % 2 === 0 ? 'http' : 'tcp']);
    if (n % 10 === 0) out.push([`${prefix}/config/${svc}/host_port`, String(10_000 + (n % 50_000))]);
    for (let j = 0; j < instances; j++) {
      out.push([`${prefix}/services/${svc}/host${j}:${svc}.${j}:80`, `10.${j}.${(n >> 8) & 255}.${n & 255}:${20_000 + (n % 40_000)}`]);
    }
  }
  return out;
}

/** Put every pair, OPS_PER_TXN per transaction, a few transactions in flight. */
export async function putAll(client: Etcd3, pairs: ReadonlyArray<[string, string]>): Promise<void> {
  const chunks: Array<ReadonlyArray<[string, string]>> = [];
  for (let i = 0; i < pairs.length; i += OPS_PER_TXN) chunks.push(pairs.slice(i, i + OPS_PER_TXN));
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL_TXNS }, async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++];
        await client.kv.txn({
          success: chunk.map(([key, value]) => ({ request_put: { key: Buffer.from(key), value: Buffer.from(value) } })),
        });
      }
    }),
  );
}
