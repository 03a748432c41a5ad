/** nodeFetch: the subset of fetch the HTTP backends use, over node:http, failing like fetch does. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { nodeFetch } from '../../src/backends/node-fetch.ts';

test('nodeFetch: status, headers, body, method and request headers; resolves on headers, text() waits for the body', async (t) => {
  let release: () => void = () => {};
  const seen: Array<{ method?: string; auth?: string; type?: string; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method, auth: req.headers.authorization, type: req.headers['content-type'], body });
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'x-etcd-index': '42', 'content-type': 'application/json' });
      if (req.url === '/slow') {
        res.write('{"a":');
        release = () => res.end('1}');
      } else res.end(req.url === '/missing' ? 'nope' : '{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const res = await nodeFetch(`${base}/x`, { method: 'POST', headers: { authorization: 'Basic eDp5' }, body: '{"q":1}' });
  assert.equal(res.status, 200);
  assert.equal(res.ok, true);
  assert.equal(res.headers.get('X-Etcd-Index'), '42');
  assert.equal(res.headers.get('x-none'), null);
  assert.deepEqual(await res.json(), { ok: true });
  assert.deepEqual(seen[0], { method: 'POST', auth: 'Basic eDp5', type: undefined, body: '{"q":1}' });

  await nodeFetch(`${base}/form`, { method: 'PUT', body: new URLSearchParams({ value: 'a b' }) });
  assert.deepEqual(seen[1], { method: 'PUT', auth: undefined, type: 'application/x-www-form-urlencoded;charset=UTF-8', body: 'value=a+b' });

  const missing = await nodeFetch(`${base}/missing`);
  assert.equal(missing.status, 404);
  assert.equal(missing.ok, false);
  assert.equal(await missing.text(), 'nope');

  const slow = await nodeFetch(`${base}/slow`); // headers only so far
  assert.equal(slow.status, 200);
  const text = slow.text();
  release();
  assert.equal(await text, '{"a":1}');
});

test('nodeFetch: a refused connection is TypeError("fetch failed") with the socket error as cause; an abort rejects with the reason', async (t) => {
  await assert.rejects(nodeFetch('http://127.0.0.1:9/'), (e: unknown) => {
    assert.ok(e instanceof TypeError);
    assert.equal(e.message, 'fetch failed');
    assert.equal((e.cause as { code?: string }).code, 'ECONNREFUSED');
    return true;
  });

  const server = createServer(() => {}); // never answers
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const ctl = new AbortController();
  const reason = new Error('stop');
  const pending = nodeFetch(url, { signal: ctl.signal });
  setImmediate(() => ctl.abort(reason));
  await assert.rejects(pending, (e) => e === reason);
  await assert.rejects(nodeFetch(url, { signal: AbortSignal.abort(reason) }), (e) => e === reason);
});
