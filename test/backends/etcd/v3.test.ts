/** etcd backend against a real etcd 3.4, v3 API: reads, watches, reconnects, compaction, leases. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openBackend } from '../../../src/backends/registry.ts';
import type { Backend, WatchEvent } from '../../../src/backends/contract.ts';
import { normalizeKey } from '../../../src/tree/keys.ts';
import { TreeConsumer, converged } from '../../helpers/etcd-consumer.ts';
import { startEtcd, v3Client } from '../../helpers/etcd.ts';
import { silentLogger } from '../../helpers/logger.ts';
import { FayrusRegistrator, serviceId } from '../../helpers/registrator.ts';
import { waitFor } from '../../helpers/wait.ts';

const K = (s: string) => normalizeKey(s);

function v3Backend(t: { after: (fn: () => unknown) => void }, nodes: readonly string[]): Backend {
  const b = openBackend('etcd', 'etcd', { nodes: [...nodes], version: 3 }, {
    logger: silentLogger(), env: {}, fetch: globalThis.fetch, baseDir: process.cwd(),
  });
  t.after(() => b.close());
  return b;
}

test('etcd v3: read and watch; deltas equal a fresh read; since loses nothing; segment boundary', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  await kv.put('/app').value('root');
  await kv.put('/app/a').value('1');
  await kv.put('/application/x').value('no');
  await kv.put('/app-x').value('no');
  const b = v3Backend(t, [etcd.clientUrl.replace('http://', '')]); // host:port form
  const prefixes = [K('/app')];
  const snap = await b.getValues(prefixes);
  assert.deepEqual([...snap.values].sort(), [['/app', 'root'], ['/app/a', '1']]);
  assert.match(snap.revision ?? '', /^\d+$/);

  await kv.put('/app/b').value('2'); // between read and watch: must arrive through `since`
  const c = new TreeConsumer(b, prefixes, snap.values);
  const unwatch = await b.watch!(prefixes, c.onEvent, { since: snap.revision });
  await kv.put('/app/a').value('1b');
  await kv.delete().key('/app');
  await kv.put('/application/y').value('no');
  await kv.put('/app-y').value('no');
  await kv.put('/app/c/d').value('deep');
  await converged(c, b, prefixes);
  assert.equal(c.tree.getv('/app/b'), '2');
  assert.equal(c.tree.exists('/app'), false);
  assert.ok(c.applied.every((a) => a.change.key === '/app' || a.change.key.startsWith('/app/')), 'no sibling leaked');
  const dels = c.applied.filter((a) => a.change.value === undefined);
  assert.deepEqual(dels.map((d) => d.change.key), ['/app']);
  await unwatch();
  await unwatch(); // idempotent
  await b.close();
  await b.close();
});

test('etcd v3: a watch over two prefixes delivers the missed changes in revision order, and nothing between them', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  const b = v3Backend(t, [etcd.clientUrl]);
  const prefixes = [K('/hosts'), K('/services')];
  const snap = await b.getValues(prefixes);
  const writes: Array<[string, string]> = [];
  for (let i = 0; i < 20; i++) writes.push([i % 2 ? `/hosts/h${i}` : `/services/s${i}`, String(i)]);
  for (const [k, v] of writes) await kv.put(k).value(v);
  await kv.put('/other/between').value('no'); // lexically between the two prefixes
  const events: WatchEvent[] = [];
  const unwatch = await b.watch!(prefixes, (e) => events.push(e), { since: snap.revision });
  t.after(unwatch);
  const keys = () => events.flatMap((e) => (e.type === 'change' ? (e.changes ?? []).map((c) => c.key) : []));
  await waitFor(() => keys().length >= writes.length, { message: 'the missed changes' });
  assert.deepEqual(keys(), writes.map(([k]) => k), 'in the order they were written (one revision order), nothing outside the prefixes');
  const revisions = events.flatMap((e) => (e.type === 'change' && e.revision ? [Number(e.revision)] : []));
  assert.deepEqual(revisions, [...revisions].sort((x, y) => x - y), 'the revision never goes back');
});

test('etcd v3: two prefixes are read at one revision', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  const b = v3Backend(t, [etcd.clientUrl]);
  const prefixes = [K('/left'), K('/right')];
  let stop = false;
  const writer = (async () => {
    for (let i = 0; !stop && i < 5_000; i++) {
      // One txn writes both sides: any consistent snapshot sees equal values.
      const put = (key: string) => ({ request_put: { key: Buffer.from(key), value: Buffer.from(String(i)) } });
      await kv.kv.txn({ success: [put('/left/n'), put('/right/n')] });
    }
  })();
  let checked = 0;
  try {
    for (; checked < 150; checked++) {
      const snap = await b.getValues(prefixes);
      assert.equal(snap.values.get(K('/left/n')), snap.values.get(K('/right/n')), `torn read at revision ${snap.revision}`);
    }
  } finally {
    stop = true;
    await writer;
  }
  const last = await b.getValues(prefixes);
  const rangeRev = (await kv.get('/left/n').exec()).header.revision;
  assert.ok(BigInt(last.revision!) <= BigInt(rangeRev));
});

test('etcd v3: 1,000 rapid puts/deletes while a consumer applies deltas', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  const b = v3Backend(t, [etcd.clientUrl]);
  const prefixes = [K('/burst')];
  const snap = await b.getValues(prefixes);
  const c = new TreeConsumer(b, prefixes, snap.values);
  await b.watch!(prefixes, c.onEvent, { since: snap.revision });
  const ops: Promise<number>[] = [];
  let events = 0; // a delete of an absent key changes nothing and produces no event
  for (let i = 0; i < 1_000; i++) {
    const key = `/burst/k${i % 37}`;
    ops.push(i % 5 === 4 ? kv.delete().key(key).exec().then((r) => Number(r.deleted)) : kv.put(key).value(`v${i}`).exec().then(() => 1));
    if (ops.length >= 50) events += (await Promise.all(ops.splice(0))).reduce((a, n) => a + n, 0);
  }
  events += (await Promise.all(ops)).reduce((a, n) => a + n, 0);
  await converged(c, b, prefixes);
  const revs = c.applied.map((a) => BigInt(a.revision!));
  assert.ok(revs.every((r, i) => i === 0 || r >= revs[i - 1]), 'revisions delivered in order');
  assert.ok(events > 900);
  await waitFor(() => c.applied.length >= events, { message: `all ${events} changes delivered` });
  assert.equal(c.applied.length, events, 'every change delivered exactly once');
});

test('etcd v3: etcd stopped and restarted mid-watch: error, connected, no update lost or repeated', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  const b = v3Backend(t, [etcd.clientUrl]);
  const prefixes = [K('/svc'), K('/cfg')];
  const snap = await b.getValues(prefixes);
  const c = new TreeConsumer(b, prefixes, snap.values);
  await b.watch!(prefixes, c.onEvent, { since: snap.revision });
  for (let i = 0; i < 200; i++) await kv.put(`/svc/k${i % 20}`).value(`a${i}`);
  await etcd.restart(); // some of the burst may still be undelivered when the stream drops
  await waitFor(() => c.count('error') > 0 && c.count('connected') > 0, { timeoutMs: 30_000, message: 'error then connected' });
  const errEvent = c.events.find((e) => e.type === 'error') as Extract<WatchEvent, { type: 'error' }>;
  assert.equal(errEvent.willRetry, true);
  assert.equal(errEvent.error.code, 'E_BACKEND');
  for (let i = 0; i < 50; i++) await kv.put(`/cfg/k${i % 5}`).value(`b${i}`);
  await converged(c, b, prefixes, 30_000);
  // The tree can match before the replay of already-overwritten values is over: wait for the count.
  await waitFor(() => c.applied.length >= 250, { message: 'all 250 writes delivered' });
  assert.equal(c.applied.length, 250, 'each of the 250 writes applied exactly once');
  assert.deepEqual(valueHistory(c), expectedHistory(), 'per key: every value, in write order, once');
});

/** Values applied per key, in order. */
function valueHistory(c: TreeConsumer): Record<string, string[]> {
  const h: Record<string, string[]> = {};
  for (const { change } of c.applied) (h[change.key] ??= []).push(change.value ?? '<deleted>');
  return h;
}

function expectedHistory(): Record<string, string[]> {
  const h: Record<string, string[]> = {};
  for (let i = 0; i < 200; i++) (h[`/svc/k${i % 20}`] ??= []).push(`a${i}`);
  for (let i = 0; i < 50; i++) (h[`/cfg/k${i % 5}`] ??= []).push(`b${i}`);
  return h;
}

test('etcd v3: compaction past the watched revision gives resync, then the watch continues', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  const b = v3Backend(t, [etcd.clientUrl]);
  const prefixes = [K('/c')];
  await kv.put('/c/a').value('1');
  const old = await b.getValues(prefixes);
  for (let i = 0; i < 10; i++) await kv.put('/c/a').value(`x${i}`);
  const head = await kv.put('/c/b').value('2').exec();
  await kv.kv.compact({ revision: head.header.revision, physical: true });
  const c = new TreeConsumer(b, prefixes, old.values);
  await b.watch!(prefixes, c.onEvent, { since: old.revision });
  await waitFor(() => c.count('resync') > 0, { message: 'resync after compaction' });
  const resync = c.events.find((e) => e.type === 'resync') as Extract<WatchEvent, { type: 'resync' }>;
  assert.match(resync.reason, /compacted/);
  await kv.put('/c/after').value('yes');
  await converged(c, b, prefixes);
  assert.equal(c.tree.getv('/c/after'), 'yes');
});

test('etcd v3: a fork registration with a lease disappears when refreshing stops', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  const b = v3Backend(t, [etcd.clientUrl]);
  const prefixes = [K('/services')];
  const reg = new FayrusRegistrator(kv, { prefix: '/services', ttl: 1 });
  const web = { name: 'web-80', id: serviceId('host1', '/web.1', 80), ip: '10.0.0.5', port: 8080 };
  await reg.register(web);
  const snap = await b.getValues(prefixes);
  assert.equal(snap.values.get(K('/services/web-80/host1:web.1:80')), '10.0.0.5:8080');
  const c = new TreeConsumer(b, prefixes, snap.values);
  await b.watch!(prefixes, c.onEvent, { since: snap.revision });
  await reg.refresh(); // a new lease, same value
  reg.forget();
  await waitFor(() => c.tree.size === 0 && c.applied.some((a) => a.change.value === undefined), {
    timeoutMs: 15_000,
    message: 'lease expiry to delete the key',
  });
  assert.equal((await b.getValues(prefixes)).values.size, 0);
});

test('etcd v3: an aborted watch stops delivering', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  const b = v3Backend(t, [etcd.clientUrl]);
  const ctrl = new AbortController();
  const events: WatchEvent[] = [];
  await b.watch!([K('/ab')], (e) => events.push(e), { signal: ctrl.signal });
  await kv.put('/ab/1').value('1');
  await waitFor(() => events.length === 1, { message: 'first change' });
  ctrl.abort();
  await kv.put('/ab/2').value('2');
  // A second, live watch proves the write has been dispatched before we look again.
  const probe: WatchEvent[] = [];
  const rev = (await kv.put('/ab/3').value('3').exec()).header.revision;
  await b.watch!([K('/ab')], (e) => probe.push(e), { since: String(BigInt(rev) - 1n) });
  await waitFor(() => probe.length >= 1, { message: 'probe watch' });
  assert.equal(events.length, 1);
});
