/** etcd backend against a real etcd 3.4 with --enable-v2, v2 keys API (gliderlabs/registrator's layout). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openBackend } from '../../../src/backends/registry.ts';
import type { Backend, WatchEvent } from '../../../src/backends/contract.ts';
import { normalizeKey } from '../../../src/tree/keys.ts';
import { TreeConsumer, converged } from '../../helpers/etcd-consumer.ts';
import { freePort, startEtcd, v2Delete, v2Mkdir, v2Put } from '../../helpers/etcd.ts';
import { captureLogger, silentLogger } from '../../helpers/logger.ts';
import { GliderlabsRegistrator, serviceId } from '../../helpers/registrator.ts';
import { waitFor } from '../../helpers/wait.ts';

const K = (s: string) => normalizeKey(s);

function v2Backend(t: { after: (fn: () => unknown) => void }, options: Record<string, unknown>, logger = silentLogger()): Backend {
  const b = openBackend('etcd', 'etcd', { version: 2, ...options }, { logger, env: {}, fetch: globalThis.fetch, baseDir: '.' });
  t.after(() => b.close());
  return b;
}

test('etcd v2: a watch over two prefixes delivers the missed changes in index order, and nothing between them', async (t) => {
  const etcd = await startEtcd(t);
  const b = v2Backend(t, { nodes: [etcd.clientUrl] });
  const prefixes = [K('/hosts'), K('/services')];
  await v2Put(etcd.clientUrl, '/hosts/seed', 'x');
  const snap = await b.getValues(prefixes);
  const writes: Array<[string, string]> = [];
  for (let i = 0; i < 20; i++) writes.push([i % 2 ? `/hosts/h${i}` : `/services/s${i}`, String(i)]);
  for (const [k, v] of writes) await v2Put(etcd.clientUrl, k, v);
  await v2Put(etcd.clientUrl, '/other/between', 'no');
  const events: WatchEvent[] = [];
  const unwatch = await b.watch!(prefixes, (e) => events.push(e), { since: snap.revision });
  t.after(unwatch);
  const keys = () => events.flatMap((e) => (e.type === 'change' ? (e.changes ?? []).map((c) => c.key) : []));
  await waitFor(() => keys().length >= writes.length, { message: 'the missed changes' });
  assert.deepEqual(keys(), writes.map(([k]) => k), 'in the order they were written, nothing outside the prefixes');
  const revisions = events.flatMap((e) => (e.type === 'change' && e.revision ? [Number(e.revision)] : []));
  assert.deepEqual(revisions, [...revisions].sort((x, y) => x - y), 'the index never goes back');
});

test('etcd v2: registrator layout read and watched through every action', async (t) => {
  const etcd = await startEtcd(t);
  const url = etcd.clientUrl;
  const reg = new GliderlabsRegistrator(url, { prefix: '/services' });
  assert.match(await reg.start(), /etcdserver/);
  const web1 = { name: 'web-80', id: serviceId('host1', '/web.1', 80), ip: '10.0.0.1', port: 32768 };
  const web2 = { name: 'web-80', id: serviceId('host2', '/web.2', 80), ip: '10.0.0.2', port: 32769 };
  const dns = { name: 'dns', id: serviceId('host1', 'dns', 53, true), ip: 'fd00::1', port: 53 };
  await reg.register(web1);
  await reg.register(dns);
  await v2Mkdir(url, '/services/empty'); // registrator leaves empty service dirs behind
  await v2Put(url, '/servicesX/no', 'sibling');
  const b = v2Backend(t, { nodes: [url] });
  const prefixes = [K('/services')];
  const snap = await b.getValues(prefixes);
  assert.deepEqual(Object.fromEntries(snap.values), {
    '/services/web-80/host1:web.1:80': '10.0.0.1:32768',
    '/services/dns/host1:dns:53:udp': '[fd00::1]:53',
  });
  await reg.register(web2); // between read and watch
  const c = new TreeConsumer(b, prefixes, snap.values);
  await b.watch!(prefixes, c.onEvent, { since: snap.revision });
  await reg.refresh(); // set (same values)
  await reg.deregister(dns); // delete, leaves /services/dns empty
  await fetch(`${url}/v2/keys/services/cas?prevExist=false`, { method: 'PUT', body: new URLSearchParams({ value: 'c1' }) }); // create
  await fetch(`${url}/v2/keys/services/cas?prevValue=c1`, { method: 'PUT', body: new URLSearchParams({ value: 'c2' }) }); // compareAndSwap
  await fetch(`${url}/v2/keys/services/cas?prevExist=true`, { method: 'PUT', body: new URLSearchParams({ value: 'c3' }) }); // update
  await v2Put(url, '/services/old/a', '1');
  await v2Put(url, '/services/old/b', '2');
  await fetch(`${url}/v2/keys/services/cas?prevValue=c3`, { method: 'DELETE' }); // compareAndDelete
  await v2Delete(url, '/services/old', { dir: true, recursive: true }); // recursive dir delete
  await v2Put(url, '/servicesX/no', 'sibling2');
  await converged(c, b, prefixes);
  const actions = c.applied.map((a) => `${a.change.key}${a.change.recursive ? ' (recursive)' : ''}=${a.change.value ?? '-'}`);
  assert.ok(actions.includes('/services/old (recursive)=-'), actions.join(', '));
  assert.ok(actions.includes('/services/cas=c2'));
  assert.ok(!actions.some((a) => a.startsWith('/servicesX')));
  assert.equal(c.tree.getv('/services/web-80/host2:web.2:80'), '10.0.0.2:32769');
});

test('etcd v2: 1,000 rapid puts/deletes while a consumer applies deltas', async (t) => {
  const etcd = await startEtcd(t);
  const url = etcd.clientUrl;
  const b = v2Backend(t, { nodes: [url] });
  const prefixes = [K('/burst'), K('/other')];
  const snap = await b.getValues(prefixes);
  const c = new TreeConsumer(b, prefixes, snap.values);
  await b.watch!(prefixes, c.onEvent, { since: snap.revision });
  let changes = 0;
  const ops: Promise<number>[] = [];
  for (let i = 0; i < 1_000; i++) {
    const key = `/${i % 3 === 0 ? 'other' : 'burst'}/k${i % 29}`;
    ops.push(i % 5 === 4 ? v2Delete(url, key).then(() => 1, () => 0) : v2Put(url, key, `v${i}`).then(() => 1));
    if (ops.length >= 20) changes += (await Promise.all(ops.splice(0))).reduce((a, n) => a + n, 0);
  }
  changes += (await Promise.all(ops)).reduce((a, n) => a + n, 0);
  await converged(c, b, prefixes, 30_000);
  await waitFor(() => c.applied.length >= changes, { timeoutMs: 20_000, message: `${changes} changes delivered` });
  assert.equal(c.applied.length, changes);
  assert.equal(c.count('resync'), 0);
});

test('etcd v2: a waitIndex behind the 1000-event window gives resync, then the watch continues', async (t) => {
  const etcd = await startEtcd(t);
  const url = etcd.clientUrl;
  const b = v2Backend(t, { nodes: [url] });
  const prefixes = [K('/w')];
  await v2Put(url, '/w/a', 'start');
  const old = await b.getValues(prefixes);
  for (let i = 0; i < 1_100; i += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, j) => v2Put(url, `/noise/k${(i + j) % 10}`, String(i + j))));
  }
  await v2Put(url, '/w/a', 'moved on');
  const c = new TreeConsumer(b, prefixes, old.values);
  await b.watch!(prefixes, c.onEvent, { since: old.revision });
  await waitFor(() => c.count('resync') > 0, { message: 'resync for a cleared index' });
  const resync = c.events.find((e) => e.type === 'resync') as Extract<WatchEvent, { type: 'resync' }>;
  assert.match(resync.reason, /index/);
  await v2Put(url, '/w/b', 'after');
  await converged(c, b, prefixes);
  assert.equal(c.tree.getv('/w/a'), 'moved on');
  assert.equal(c.tree.getv('/w/b'), 'after');
});

test('etcd v2: stopped and restarted mid-watch, with a dead node first in the list', async (t) => {
  const etcd = await startEtcd(t);
  const url = etcd.clientUrl;
  const dead = `127.0.0.1:${await freePort()}`;
  const log = captureLogger();
  const b = v2Backend(t, { nodes: [dead, url], username: 'reader', password: 's3cret-pw' }, log.logger);
  const prefixes = [K('/svc')];
  const snap = await b.getValues(prefixes); // fails over past the dead node
  const c = new TreeConsumer(b, prefixes, snap.values);
  await b.watch!(prefixes, c.onEvent, { since: snap.revision });
  for (let i = 0; i < 100; i++) await v2Put(url, `/svc/k${i % 10}`, `a${i}`);
  await etcd.restart();
  await waitFor(() => c.count('error') > 0 && c.count('connected') > 0, { timeoutMs: 30_000, message: 'error then connected' });
  assert.equal((c.events.find((e) => e.type === 'error') as Extract<WatchEvent, { type: 'error' }>).willRetry, true);
  for (let i = 0; i < 30; i++) await v2Put(url, `/svc/j${i % 3}`, `b${i}`);
  await converged(c, b, prefixes, 30_000);
  await waitFor(() => c.applied.length >= 130, { message: 'all 130 writes delivered' });
  assert.equal(c.applied.length, 130, 'each write applied exactly once');
  assert.ok(!log.text().includes('s3cret-pw'), 'password never logged');
});

test('etcd v2: a registrator TTL expiry removes the key', async (t) => {
  const etcd = await startEtcd(t);
  const url = etcd.clientUrl;
  const b = v2Backend(t, { nodes: [url] });
  const prefixes = [K('/services')];
  const reg = new GliderlabsRegistrator(url, { prefix: '/services', ttl: 1 });
  const svc = { name: 'api', id: serviceId('h', 'api', 8080), ip: '10.1.1.1', port: 31000 };
  await reg.register(svc);
  const snap = await b.getValues(prefixes);
  assert.equal(snap.values.get(K('/services/api/h:api:8080')), '10.1.1.1:31000');
  const c = new TreeConsumer(b, prefixes, snap.values);
  await b.watch!(prefixes, c.onEvent, { since: snap.revision });
  reg.forget(); // registrator stops refreshing
  await waitFor(() => c.tree.size === 0, { timeoutMs: 15_000, message: 'expire event to remove the key' });
  assert.deepEqual(c.applied.at(-1)?.change, { key: '/services/api/h:api:8080' });
});
