/** etcd backend against a 3-member cluster: killing the member the watch is connected to keeps updates flowing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openBackend } from '../../../src/backends/registry.ts';
import type { Backend } from '../../../src/backends/contract.ts';
import { normalizeKey } from '../../../src/tree/keys.ts';
import { TreeConsumer } from '../../helpers/etcd-consumer.ts';
import { startEtcdCluster, v2Put, v3Client, type EtcdMember } from '../../helpers/etcd.ts';
import { silentLogger } from '../../helpers/logger.ts';
import { waitFor } from '../../helpers/wait.ts';

const K = (s: string) => normalizeKey(s);

/** The member serving our watch: the only one whose metrics count an open v3 watch stream. */
async function watchStreams(m: EtcdMember): Promise<number> {
  const text = await (await fetch(`${m.clientUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('etcd_debugging_mvcc_watch_stream_total'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

test('etcd cluster: v3 and v2 watches survive the loss of the member they use', async (t) => {
  const cluster = await startEtcdCluster(t);
  const b: Backend = openBackend('etcd', 'etcd', { nodes: [...cluster.clientUrls], version: 3 }, {
    logger: silentLogger(), env: {}, fetch: globalThis.fetch, baseDir: '.',
  });
  t.after(() => b.close());
  const prefixes = [K('/svc')];
  const snap = await b.getValues(prefixes);
  const c = new TreeConsumer(b, prefixes, snap.values);
  await b.watch!(prefixes, c.onEvent, { since: snap.revision });
  const serving = await waitFor(
    async () => {
      const counts = await Promise.all(cluster.members.map(watchStreams));
      const i = counts.findIndex((n) => n > 0);
      return i >= 0 ? { i } : undefined;
    },
    { message: 'a member serving the watch stream' },
  );
  // Write through the other members only, so the writer never depends on the killed one.
  const survivors = cluster.clientUrls.filter((_, i) => i !== serving.i);
  const kv = v3Client(t, survivors);
  await kv.put('/svc/a').value('1');
  await waitFor(() => c.tree.exists('/svc/a'), { message: 'first update' });

  await cluster.kill(serving.i);
  for (let i = 0; i < 20; i++) await kv.put(`/svc/k${i}`).value(String(i));
  await waitFor(() => c.tree.size === 21, { timeoutMs: 30_000, message: 'updates after the member died' });
  assert.ok(await c.matchesFreshRead(), 'reads fail over too');
  assert.ok(c.count('error') >= 1 && c.count('connected') >= 1);

  // v2 on the same cluster: the first node in the list is the dead member.
  const v2 = openBackend('etcd', 'etcd2', { nodes: [cluster.clientUrls[serving.i], ...survivors], version: 2 }, {
    logger: silentLogger(), env: {}, fetch: globalThis.fetch, baseDir: '.',
  });
  t.after(() => v2.close());
  await v2Put(survivors[0], '/reg/x', '1');
  const s2 = await v2.getValues([K('/reg')]);
  const c2 = new TreeConsumer(v2, [K('/reg')], s2.values);
  await v2.watch!([K('/reg')], c2.onEvent, { since: s2.revision });
  await v2Put(survivors[1], '/reg/y', '2');
  await waitFor(() => c2.tree.exists('/reg/y'), { timeoutMs: 20_000, message: 'v2 update via a live member' });
});
