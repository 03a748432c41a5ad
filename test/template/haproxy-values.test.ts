import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTemplateEngine, SkipLedger, stableId, type Skip } from '../../src/template/index.ts';
import { MemoryTree } from '../../src/tree/tree.ts';

function treeOf(pairs: Record<string, string>): MemoryTree {
  const t = new MemoryTree();
  for (const [k, v] of Object.entries(pairs)) t.set(k, v);
  return t;
}

const SERVERS = `{% for s in haproxyServers(gets("/services/web/*")) %}{{ s.name }} {{ s.address }} {{ s.id }}
{% endfor %}`;

test('haproxyServers keeps valid servers and records every refused value with its reason', async () => {
  const fresh: Skip[] = [];
  const skips = new SkipLedger({ onNew: (s) => fresh.push(s), now: () => 1000 });
  const engine = createTemplateEngine({ env: {}, skips });
  const tree = treeOf({
    '/services/web/h:a:80': '10.0.0.1:80',
    '/services/web/h:b:53:udp': '10.0.0.2:53',
    '/services/web/h:c:80': 'evil.internal:80',
    '/services/web/h:d:80': '10.0.0.3:80\n    stats enable',
    '/services/web/h:e:80': '10.0.0.4:99999',
    '/services/web/h:f g:80': '[fd00::1]:81',
  });
  const out = await engine.renderString(SERVERS, 't', { resource: 'r', tree });
  assert.equal(out, `h:a:80 10.0.0.1:80 ${stableId('h:a:80')}\nh:f_g:80 [fd00::1]:81 ${stableId('h:f_g:80')}\n`);
  assert.deepEqual(
    skips.list().map((s) => [s.item, s.reason]),
    [
      ['/services/web/h:c:80', 'bad address'],
      ['/services/web/h:d:80', 'bad address'],
      ['/services/web/h:e:80', 'bad port'],
      ['/services/web/h:b:53:udp', 'udp port'],
    ],
  );
  assert.equal(fresh.length, 4, 'each new skip is reported once');
  assert.ok(!skips.list().some((s) => /\n/.test(s.detail ?? '')), 'details are one line');
  // the same data rendered again (a new tree): nothing new to report
  await engine.renderString(SERVERS, 't', { resource: 'r', tree: treeOf(Object.fromEntries(tree.entries().map((p) => [p.key, p.value]))) });
  assert.equal(fresh.length, 4);
  assert.deepEqual(skips.counts().find((c) => c.reason === 'bad address'), { resource: 'r', reason: 'bad address', count: 2 });
  // fixed: the skip disappears
  await engine.renderString(SERVERS, 't', { resource: 'r', tree: treeOf({ '/services/web/h:a:80': '10.0.0.1:80' }) });
  assert.deepEqual(skips.list(), []);
});

test('server names are unique in a backend (-2 on a clash) and ids stable', async () => {
  const engine = createTemplateEngine({ env: {} });
  const tree = treeOf({ '/services/web/h:odd one:80': '10.0.0.1:80', '/services/web/h:odd_one:80': '10.0.0.2:80' });
  const out = await engine.renderString(SERVERS, 't', { resource: 'r', tree });
  assert.equal(out, `h:odd_one:80 10.0.0.1:80 ${stableId('h:odd_one:80')}\nh:odd_one:80-2 10.0.0.2:80 ${stableId('h:odd_one:80-2')}\n`);
  assert.equal(stableId('docker1:web.1:80'), 263920, 'the id the etcd-haproxy example has always given');
});

test('haproxyName, hostName and skip() record refusals; skip renders nothing', async () => {
  const engine = createTemplateEngine({ env: {} });
  const src = `{{ haproxyName("we[b", "/services/we[b") or "-" }} {{ hostName("Www.Example.COM") }} {{ hostName("bad host") or "-" }}{{ skip("duplicate host", "/hosts/x", "already maps") }}`;
  const out = await engine.renderString(src, 't', { resource: 'r', tree: treeOf({}) });
  assert.equal(out, '- www.example.com -');
  assert.deepEqual(
    engine.skips.list().map((s) => [s.reason, s.item]),
    [
      ['bad host', 'bad host'],
      ['bad name', '/services/we[b'],
      ['duplicate host', '/hosts/x'],
    ],
  );
});

test('the example of docs/template-functions.md "Validating values" renders as documented', async () => {
  const { readFile } = await import('node:fs/promises');
  const doc = await readFile(new URL('../../docs/template-functions.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Validating values'));
  const example = /```jinja\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(example, 'the section has a jinja example');
  const engine = createTemplateEngine({ env: {} });
  const tree = treeOf({ '/services/web/h:web.1:80': '10.0.0.1:80', '/services/web/h:web.2:80': 'evil.internal:80', '/services/we[b/h:x:80': '10.0.0.2:80' });
  const out = await engine.renderString(example, 'doc', { resource: 'r', tree });
  assert.equal(out.trim(), `backend be_web\n    balance roundrobin\n    server h:web.1:80 10.0.0.1:80 id ${stableId('h:web.1:80')}`);
  assert.deepEqual(engine.skips.list().map((s) => [s.reason, s.item]), [['bad address', '/services/web/h:web.2:80'], ['bad name', '/services/we[b']]);
});
