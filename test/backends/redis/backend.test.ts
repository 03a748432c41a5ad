/**
 * What the redis backend adds to the shared contract: confd's separator and hashes as remco reads
 * them (watched too), database number, an ACL user, the error naming notify-keyspace-events when
 * notifications are off, option errors with their key, the redis:// URI and the docs example.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { openBackend } from '../../../src/backends/registry.ts';
import { parseBackendUri } from '../../../src/cli/uri.ts';
import { BackendError } from '../../../src/errors.ts';
import { normalizeKey } from '../../../src/tree/keys.ts';
import { load, rejectsConfig, writeTree } from '../../config/fixture.ts';
import { redisWriter, startRedis } from '../../helpers/redis.ts';
import { feedSpec, FeedDriver } from '../conformance-driver.ts';
import { backendContext } from '../context.ts';

const K = normalizeKey;

test('redis: separator ":", hashes as remco reads them, database 3; a hash change is watched', async (t) => {
  const redis = await startRedis(t);
  const write = redisWriter(t, `${redis.node}/3`);
  await write([
    ['SET', 'app:db:host', 'db.internal'],
    ['HSET', 'app:web', 'title', 'Front', 'port', '8080'],
    ['SET', 'app:web:extra', 'x'],
    ['SET', 'appx:y', 'sibling'],
    ['RPUSH', 'app:list', 'ignored'],
  ]);
  const b = openBackend('redis', 'redis', { nodes: [redis.node], separator: ':', database: 3 }, backendContext());
  t.after(() => b.close());
  const snap = await b.getValues([K('/app')]);
  assert.deepEqual(Object.fromEntries(snap.values), {
    '/app/db/host': 'db.internal',
    '/app/web/title': 'Front',
    '/app/web/port': '8080',
    '/app/web/extra': 'x',
  });
  const other = openBackend('redis', 'redis0', { nodes: [redis.node], separator: ':' }, backendContext());
  t.after(() => other.close());
  assert.equal((await other.getValues([K('/app')])).values.size, 0, 'database 0 holds nothing');

  const d = new FeedDriver(b, feedSpec('/app', []));
  t.after(() => d.stop());
  await d.feed.load();
  d.watch();
  await write([['HDEL', 'app:web', 'port'], ['HSET', 'app:web', 'title', 'Back']]);
  const model = new Map([['/app/db/host', 'db.internal'], ['/app/web/title', 'Back'], ['/app/web/extra', 'x']]);
  await d.converged(model);
  await write([['DEL', 'app:web'], ['SET', 'app:db:port', '5432']]);
  model.delete('/app/web/title');
  model.set('/app/db/port', '5432');
  await d.converged(model);
});

test('redis: keyspace notifications off → a watch error naming notify-keyspace-events; reads still work', async (t) => {
  const redis = await startRedis(t, { notify: '' });
  const b = openBackend('redis', 'redis', { nodes: [redis.node] }, backendContext());
  t.after(() => b.close());
  await redisWriter(t, redis.node)([['SET', '/app/a', '1']]);
  assert.equal((await b.getValues([K('/app')])).values.get(K('/app/a')), '1');
  await assert.rejects(b.watch!([K('/app')], () => {}), (e: unknown) => {
    assert.ok(e instanceof BackendError);
    assert.equal(e.retryable, false);
    assert.match(e.message, /notify-keyspace-events is ""/);
    assert.match(e.message, /CONFIG SET notify-keyspace-events KA/);
    assert.match(e.message, /interval/);
    return true;
  });
});

test('redis: an ACL user; a wrong password fails without echoing it', async (t) => {
  const redis = await startRedis(t, { extra: ['--user', 'keyplate', 'on', '>s3cret-pw', '~*', '&*', '+@all'] });
  await redisWriter(t, `keyplate:s3cret-pw@${redis.node}`)([['SET', '/app/a', '1']]);
  const ok = openBackend('redis', 'redis', { nodes: [redis.node], username: 'keyplate', password: 's3cret-pw' }, backendContext());
  t.after(() => ok.close());
  assert.equal((await ok.getValues([K('/app')])).values.get(K('/app/a')), '1');
  const bad = openBackend('redis', 'redis', { nodes: [redis.node], username: 'keyplate', password: 'wrong-pw-value' }, backendContext());
  t.after(() => bad.close());
  await assert.rejects(bad.getValues([K('/app')]), (e: unknown) => {
    assert.ok(e instanceof BackendError);
    assert.doesNotMatch(e.message, /wrong-pw-value/);
    assert.match(e.message, /WRONGPASS|invalid/i);
    return true;
  });
});

test('redis: options are checked with their key; the redis:// URI', () => {
  assert.throws(() => openBackend('redis', 'r', { database: 16 }, backendContext()), /database/);
  assert.throws(() => openBackend('redis', 'r', { nodes: ['h:1/x'] }, backendContext()), /nodes/);
  assert.throws(() => openBackend('redis', 'r', { username: 'u' }, backendContext()), /username needs a password/);
  assert.throws(() => openBackend('redis', 'r', { separator: '' }, backendContext()), /separator/);
  assert.throws(() => openBackend('redis', 'r', { sentinel: true }, backendContext()), /unknown key "sentinel"/);
  const spec = parseBackendUri('redis://keyplate:p%40ss@10.0.0.1:6380,10.0.0.2:6379/2?separator=:');
  assert.equal(spec.kind, 'redis');
  assert.deepEqual(spec.options, {
    nodes: ['10.0.0.1:6380', '10.0.0.2:6379'],
    database: 2,
    separator: ':',
    tls: false,
    requestTimeoutMs: 10_000,
    username: 'keyplate',
    password: 'p@ss',
  });
  assert.deepEqual((parseBackendUri('redis://127.0.0.1:6379').options as { nodes: string[] }).nodes, ['127.0.0.1:6379']);
});

test('docs/redis.md: its config example loads; an out-of-range option names file, line and key', async (t) => {
  const doc = await readFile(new URL('../../../docs/redis.md', import.meta.url), 'utf8');
  const example = /```toml\n([\s\S]*?)```/.exec(doc)![1];
  const resource = (backend: string) => `[[resource]]\nname = "app"\n[[resource.template]]\nsrc = "t.tmpl"\ndst = "out/app.conf"\n${backend}`;
  const dir = await writeTree(t, { 'config.toml': resource(example), 't.tmpl': '' });
  const { config } = await load(dir);
  const b = config.resources[0].backends[0];
  assert.equal(b.kind, 'redis');
  assert.deepEqual(b.keys, ['/services', '/config']);
  assert.equal(b.intervalMs, 300_000);
  assert.deepEqual((b.options as { nodes: string[] }).nodes, ['redis-1:6379', 'redis-2:6379']);
  const bad = await writeTree(t, { 'config.toml': resource('[resource.backend.redis]\ndatabase = 99\n'), 't.tmpl': '' });
  await rejectsConfig(load(bad), { line: 7, includes: ['database'] });
});
