/**
 * What the zookeeper backend adds beyond the conformance suite: confd's leaf rule (a znode with
 * children is not a key, an emptied one is), ZooKeeper's own /zookeeper skipped, digest auth against
 * an ACL, a chroot, an ensemble list with a dead member, deltas without re-reads, a new session
 * after expiry with nothing lost, option checks and the zk:// URI.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import zk from 'node-zookeeper-client';
import { openBackend } from '../../../src/backends/registry.ts';
import type { KeyChange, WatchEvent } from '../../../src/backends/contract.ts';
import { ZkSession, type SessionState, type Watcher } from '../../../src/backends/zookeeper/client.ts';
import { watchZooKeeper } from '../../../src/backends/zookeeper/watch.ts';
import { parseZooKeeperOptions } from './options.ts';
import { parseBackendUri } from '../../../src/cli/uri.ts';
import { BackendError } from '../../../src/errors.ts';
import { normalizeKey, type KeyPath } from '../../../src/tree/keys.ts';
import { freePort } from '../../helpers/etcd.ts';
import { startTcpProxy } from '../../helpers/tcp-proxy.ts';
import { silentLogger } from '../../helpers/logger.ts';
import { waitFor } from '../../helpers/wait.ts';
import { expireSession, startZooKeeper, zkWriter } from '../../helpers/zookeeper.ts';
import { load, writeTree } from '../../config/fixture.ts';
import { backendContext } from '../context.ts';

const k = (s: string) => normalizeKey(s);
const plain = (cs: readonly KeyChange[]) => cs.map((c) => (c.value === undefined ? { key: c.key } : { key: c.key, value: c.value }));

/** Raw znode writes (no registrator habits): data on a parent, a parent left empty. */
function raw(node: string) {
  const c = zk.createClient(node, { sessionTimeout: 10_000 });
  c.connect();
  const call = (run: (cb: (e: unknown) => void) => void) => new Promise<void>((res, rej) => run((e) => (e ? rej(e) : res())));
  return {
    ready: () => waitFor(() => c.getState() === zk.State.SYNC_CONNECTED, { message: 'raw client' }),
    create: (p: string, v: string) => call((cb) => c.create(p, Buffer.from(v), cb)),
    set: (p: string, v: string) => call((cb) => c.setData(p, Buffer.from(v), cb)),
    remove: (p: string) => call((cb) => c.remove(p, cb)),
    close: () => c.close(),
  };
}

test('zookeeper: leaf znodes are keys, a parent\'s own data is not, an emptied parent is a key again; /zookeeper is skipped', async (t) => {
  const server = await startZooKeeper(t);
  const w = raw(server.node);
  t.after(() => w.close());
  await w.ready();
  await w.create('/app', 'ignored: it has children');
  await w.create('/app/db', '');
  await w.create('/app/db/host', 'db.internal');
  await w.create('/app/empty', '');
  const b = openBackend('zookeeper', 'zk', { nodes: [server.node] }, backendContext());
  t.after(() => b.close());
  assert.deepEqual(Object.fromEntries((await b.getValues([k('/')])).values), { '/app/db/host': 'db.internal', '/app/empty': '' });
  assert.deepEqual(Object.fromEntries((await b.getValues([k('/app/db/host'), k('/nope')])).values), { '/app/db/host': 'db.internal' });

  const events: WatchEvent[] = [];
  const stop = await b.watch!([k('/app')], (e) => events.push(e));
  t.after(stop);
  const deltas = () => plain(events.flatMap((e) => (e.type === 'change' ? (e.changes ?? []) : [])));
  await w.remove('/app/db/host'); // /app/db has no children now: confd reads it as a key
  await waitFor(() => deltas().length >= 2, { message: 'leaf → key' });
  assert.deepEqual(deltas(), [{ key: '/app/db/host' }, { key: '/app/db', value: '' }]);
  await w.create('/app/db/port', '5432'); // a child again: /app/db is no key any more
  await w.set('/app', 'still ignored');
  await w.set('/app/empty', 'now set');
  await waitFor(() => deltas().length >= 5, { message: 'key → directory' });
  assert.deepEqual(deltas().slice(2), [{ key: '/app/db' }, { key: '/app/db/port', value: '5432' }, { key: '/app/empty', value: 'now set' }]);
  assert.ok(events.every((e) => e.type === 'change'), 'no errors or resyncs');
});

test('zookeeper: digest auth reads znodes an ACL keeps from others; a chroot; a dead ensemble member is skipped', async (t) => {
  const server = await startZooKeeper(t);
  await zkWriter(t, server.node, { username: 'keyplate', password: 's3cret', acl: true })([{ key: '/base/app/secret', value: 'v' }]);
  const anonymous = openBackend('zookeeper', 'zk', { nodes: [server.node], request_timeout: 5 }, backendContext());
  t.after(() => anonymous.close());
  await assert.rejects(anonymous.getValues([k('/base')]), (e: unknown) => e instanceof BackendError && /ACL refuses/.test(e.message) && !e.message.includes('s3cret'));
  const dead = `127.0.0.1:${await freePort()}`;
  const b = openBackend('zookeeper', 'zk', { nodes: [dead, server.node], chroot: '/base', username: 'keyplate', password: 's3cret' }, backendContext());
  t.after(() => b.close());
  assert.deepEqual(Object.fromEntries((await b.getValues([k('/app')])).values), { '/app/secret': 'v' });
  const wrong = openBackend('zookeeper', 'zk', { nodes: [server.node], username: 'keyplate', password: 'wrong' }, backendContext());
  t.after(() => wrong.close());
  await assert.rejects(wrong.getValues([k('/base')]), (e: unknown) => e instanceof BackendError && /ACL refuses/.test(e.message));
});

test('zookeeper: an expired session is replaced, the watch re-reads and sends what changed meanwhile', async (t) => {
  const server = await startZooKeeper(t);
  const write = zkWriter(t, server.node);
  await write([{ key: '/app/a', value: '1' }, { key: '/app/b', value: '1' }]);
  // the watch reaches ZooKeeper through a proxy, so it cannot win its session back while it is closed
  const proxy = await startTcpProxy(t, { host: '127.0.0.1', port: server.ports[0] });
  const o = parseZooKeeperOptions({ nodes: [proxy.address] });
  const sessions: ZkSession[] = [];
  const events: WatchEvent[] = [];
  const stop = await watchZooKeeper(
    { name: 'zk', logger: silentLogger(), open: async (onState, signal) => {
      const s = await ZkSession.open('zk', o, onState, signal);
      sessions.push(s);
      return s;
    } },
    [k('/app')],
    (e) => events.push(e),
    undefined,
  );
  t.after(stop);
  const first = sessions[0].credentials();
  proxy.down();
  await expireSession(server.ports[0], first.id, first.password);
  proxy.up();
  await waitFor(() => events.some((e) => e.type === 'error' && /expired/.test(e.error.message)), { timeoutMs: 30_000, message: 'the expiry to be reported' });
  await write([{ key: '/app/a', value: '2' }, { key: '/app/c', value: 'new' }]);
  await waitFor(() => sessions.length === 2 && events.some((e) => e.type === 'connected'), { message: 'a new session' });
  const deltas = () => plain(events.flatMap((e) => (e.type === 'change' ? (e.changes ?? []) : [])));
  await waitFor(() => deltas().some((d) => d.key === '/app/c'), { message: 'the changes made around the expiry' });
  await write([{ key: '/app/b' }]);
  await waitFor(() => deltas().some((d) => d.key === '/app/b'), { message: 'a change on the new session' });
  const state = new Map<KeyPath, string>([[k('/app/a'), '1'], [k('/app/b'), '1']]);
  for (const d of deltas()) d.value === undefined ? state.delete(d.key as KeyPath) : state.set(d.key as KeyPath, d.value);
  assert.deepEqual(Object.fromEntries(state), { '/app/a': '2', '/app/c': 'new' });
  assert.notDeepEqual(sessions[1].credentials().id, first.id);
});

test('zookeeper: a change while the watch makes its first read is not lost', async (t) => {
  const server = await startZooKeeper(t);
  const write = zkWriter(t, server.node);
  await write([{ key: '/app/a/1', value: 'x' }, { key: '/app/b/1', value: 'y' }]);
  const o = parseZooKeeperOptions({ nodes: [server.node] });
  // the session lists /app/a, then (before the first read ends) a child is added there and its
  // watch fires: the list the watch got is already stale
  const open = async (onState: (s: SessionState) => void, signal: AbortSignal) => {
    const s = await ZkSession.open('zk', o, onState, signal);
    let once = true;
    return Object.assign(Object.create(s) as ZkSession, {
      getData: (p: string, w?: Watcher) => s.getData(p, w),
      exists: (p: string, w: Watcher) => s.exists(p, w),
      close: () => s.close(),
      async getChildren(p: string, w?: Watcher) {
        if (p !== '/app/a' || !once || !w) return s.getChildren(p, w);
        once = false;
        let fired!: () => void;
        const seen = new Promise<void>((resolve) => (fired = resolve));
        const children = await s.getChildren(p, (e) => (w(e), fired()));
        await write([{ key: '/app/a/2', value: 'late' }]);
        await seen;
        return children;
      },
    });
  };
  const events: WatchEvent[] = [];
  const stop = await watchZooKeeper({ name: 'zk', logger: silentLogger(), open }, [k('/app')], (e) => events.push(e), undefined);
  t.after(stop);
  await waitFor(() => events.some((e) => e.type === 'change'), { message: 'the change made during the first read' });
  assert.deepEqual(plain(events.flatMap((e) => (e.type === 'change' ? (e.changes ?? []) : []))), [{ key: '/app/a/2', value: 'late' }]);
});

test('zookeeper: a server that accepts a connection and never answers the handshake is left for another try', async (t) => {
  // as a ZooKeeper still starting up does: without the guard the client waits on it forever
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const port = (silent.address() as AddressInfo).port;
  const o = parseZooKeeperOptions({ nodes: [`127.0.0.1:${port}`], request_timeout: 6 });
  await assert.rejects(ZkSession.open('zk', o), (e: unknown) => e instanceof BackendError && /cannot connect/.test(e.message));
  assert.ok(sockets.length >= 2, `the client gave up on the silent connection and tried again (${sockets.length} connection(s))`);
});

test('zookeeper: options are checked with their key; the zk:// URI; the docs example loads', async (t) => {
  assert.throws(() => openBackend('zookeeper', 'z', { nodes: [] }, backendContext()), /at least one/);
  assert.throws(() => openBackend('zookeeper', 'z', { nodes: ['http://x:1'] }, backendContext()), /host:port/);
  assert.throws(() => openBackend('zookeeper', 'z', { username: 'u' }, backendContext()), /username and password/);
  assert.throws(() => openBackend('zookeeper', 'z', { chroot: 'rel' }, backendContext()), /absolute/);
  const spec = parseBackendUri('zk://u:p%40ss@10.0.0.1:2181,10.0.0.2/keyplate');
  assert.equal(spec.kind, 'zookeeper');
  assert.deepEqual(spec.options, { nodes: ['10.0.0.1:2181', '10.0.0.2:2181'], chroot: '/keyplate', username: 'u', password: 'p@ss', sessionTimeoutMs: 10_000, requestTimeoutMs: 10_000 });
  assert.deepEqual(parseBackendUri('zookeeper://127.0.0.1:2181').options, { nodes: ['127.0.0.1:2181'], sessionTimeoutMs: 10_000, requestTimeoutMs: 10_000 });
  const doc = await readFile(new URL('../../../docs/zookeeper.md', import.meta.url), 'utf8');
  const example = /```toml\n([\s\S]*?)```/.exec(doc)![1];
  const dir = await writeTree(t, { 'config.toml': `[[resource]]\nname = "app"\n[[resource.template]]\nsrc = "t.tmpl"\ndst = "out/app.conf"\n${example}`, 't.tmpl': '' });
  const b = (await load(dir)).config.resources[0].backends[0];
  assert.equal(b.kind, 'zookeeper');
  assert.deepEqual(b.options, { nodes: ['zk-1:2181', 'zk-2:2181', 'zk-3:2181'], sessionTimeoutMs: 10_000, requestTimeoutMs: 10_000 });
});
