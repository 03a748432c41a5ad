/** What the nats backend adds: a missing bucket is a clear error, token auth, option checks, the nats:// URI and the docs example. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { openBackend } from '../../../src/backends/registry.ts';
import { parseBackendUri } from '../../../src/cli/uri.ts';
import { BackendError } from '../../../src/errors.ts';
import { normalizeKey } from '../../../src/tree/keys.ts';
import { load, writeTree } from '../../config/fixture.ts';
import { natsWriter, startNats } from '../../helpers/nats.ts';
import { backendContext } from '../context.ts';

test('nats: a missing bucket names the bucket; an existing one is read', async (t) => {
  const nats = await startNats(t);
  const missing = openBackend('nats', 'nats', { servers: [nats.server], bucket: 'nope' }, backendContext());
  t.after(() => missing.close());
  await assert.rejects(missing.getValues([normalizeKey('/')]), (e: unknown) => e instanceof BackendError && /bucket "nope" does not exist/.test(e.message));
  await natsWriter(t, nats.server, 'config')([{ key: 'services.web.a1', value: '10.0.0.1:80' }]);
  const b = openBackend('nats', 'nats', { servers: [nats.server], bucket: 'config' }, backendContext());
  t.after(() => b.close());
  const snap = await b.getValues([normalizeKey('/services')]);
  assert.deepEqual(Object.fromEntries(snap.values), { '/services/web/a1': '10.0.0.1:80' });
  assert.match(snap.revision ?? '', /^\d+$/);
});

test('nats: options are checked with their key; the nats:// URI; the docs example loads', async (t) => {
  assert.throws(() => openBackend('nats', 'n', {}, backendContext()), /bucket/);
  assert.throws(() => openBackend('nats', 'n', { bucket: 'a b' }, backendContext()), /bucket/);
  assert.throws(() => openBackend('nats', 'n', { bucket: 'b', token: 't', username: 'u', password: 'p' }, backendContext()), /one of token/);
  assert.throws(() => openBackend('nats', 'n', { bucket: 'b', username: 'u' }, backendContext()), /username and password/);
  const spec = parseBackendUri('nats://s3cret@10.0.0.1:4222,10.0.0.2:4222/config');
  assert.deepEqual(spec.options, { servers: ['10.0.0.1:4222', '10.0.0.2:4222'], bucket: 'config', tls: false, requestTimeoutMs: 10_000, token: 's3cret' });
  const doc = await readFile(new URL('../../../docs/nats.md', import.meta.url), 'utf8');
  const example = /```toml\n([\s\S]*?)```/.exec(doc)![1];
  const dir = await writeTree(t, { 'config.toml': `[[resource]]\nname = "app"\n[[resource.template]]\nsrc = "t.tmpl"\ndst = "out/app.conf"\n${example}`, 't.tmpl': '' });
  const b = (await load(dir)).config.resources[0].backends[0];
  assert.equal(b.kind, 'nats');
  assert.deepEqual(b.options, { servers: ['nats-1:4222', 'nats-2:4222'], bucket: 'config', tls: false, requestTimeoutMs: 10_000 });
});
