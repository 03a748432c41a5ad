/**
 * SIGHUP to the real daemon. A broken config (an unknown key) is refused: the error is logged and
 * the old config keeps running (a later etcd change still renders). A config with one more
 * resource starts that resource and renders it, without restarting or re-rendering the others
 * (their destination keeps its inode and mtime, and no log line of theirs follows the reload).
 */
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startEtcd, v3Client } from '../helpers/etcd.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { startDaemon } from '../helpers/daemon.ts';

const resource = (name: string, dst: string, etcd: string) => `
[[resource]]
name = "${name}"
  [[resource.template]]
  src = "services.njk"
  dst = "${dst}"
  [resource.backend.etcd]
  nodes = ["${etcd}"]
  version = 3
  keys = ["/services"]
  watch = true
`;

test('SIGHUP: a broken config is refused and the old one keeps running; an added resource renders alone', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  await kv.put('/services/web/a').value('10.0.0.1:80');
  const dir = await tempDir(t, 'keyplate-prod-sighup');
  const cfg = join(dir, 'keyplate.toml');
  const main = join(dir, 'main.cfg');
  const extra = join(dir, 'extra.cfg');
  await writeFile(join(dir, 'services.njk'), '{% for s in gets("/services/*/*") %}server {{ s.Key | base }} {{ s.Value }}\n{% endfor %}');
  await writeFile(cfg, resource('main', 'main.cfg', etcd.clientUrl));
  const d = startDaemon(t, { config: cfg });
  const contents = (file: string, want: string, what: string) =>
    waitFor(async () => (await readFile(file, 'utf8').catch(() => '')) === want, { timeoutMs: 20_000, message: `${what}\n${d.dump()}` });

  await contents(main, 'server a 10.0.0.1:80\n', 'the first render');
  await d.waitEvent('watching');

  // 1. An unknown key: refused, logged, the running config untouched.
  await writeFile(cfg, `bogus_setting = true\n${resource('main', 'main.cfg', etcd.clientUrl)}${resource('extra', 'extra.cfg', etcd.clientUrl)}`);
  let mark = d.logs.length;
  d.signal('SIGHUP');
  const refused = await d.waitEvent('config-reload-refused', { from: mark, message: 'the refusal' });
  assert.equal(refused.level, 50, 'logged as an error');
  assert.match(String(refused.err), /bogus_setting/, 'the error names the unknown key');
  assert.equal(d.events('config-reloaded', mark).length, 0);
  await kv.put('/services/web/b').value('10.0.0.2:80');
  await contents(main, 'server a 10.0.0.1:80\nserver b 10.0.0.2:80\n', 'a change after the refused reload to render with the old config');
  // the file is renamed into place before its `installed` line is logged: wait for the line too,
  // so that it is not taken for a render after the next reload
  await d.waitEvent('installed', { from: mark, fields: { resource: 'main' }, message: 'the install of that change' });
  await assert.rejects(stat(extra), 'the resource of the refused config was not started');

  // 2. One resource added: it renders; `main` is neither restarted nor re-rendered.
  await writeFile(cfg, `${resource('main', 'main.cfg', etcd.clientUrl)}${resource('extra', 'extra.cfg', etcd.clientUrl)}`);
  const before = await stat(main);
  mark = d.logs.length;
  d.signal('SIGHUP');
  const reloaded = await d.waitEvent('config-reloaded', { from: mark, message: 'the reload' });
  assert.deepEqual({ added: reloaded.added, removed: reloaded.removed, restarted: reloaded.restarted, unchanged: reloaded.unchanged }, {
    added: ['extra'], removed: [], restarted: [], unchanged: ['main'],
  });
  await contents(extra, 'server a 10.0.0.1:80\nserver b 10.0.0.2:80\n', 'the added resource to render');
  await d.waitEvent('installed', { from: mark, fields: { resource: 'extra' }, message: 'the added resource install' });
  const after = await stat(main);
  assert.equal(after.ino, before.ino, 'main.cfg was not replaced');
  assert.equal(after.mtimeMs, before.mtimeMs, 'main.cfg was not rewritten');
  assert.ok(d.logs.slice(0, mark).some((l) => l.resource === 'main' && l.event === 'installed'), 'renders of main are logged with its name');
  const mainLines = d.logs.slice(mark).filter((l) => l.resource === 'main');
  assert.deepEqual(mainLines, [], `no log line of resource main after the reload:\n${d.dump(mark)}`);

  // Both run on: one change reaches both destinations.
  await kv.put('/services/web/c').value('10.0.0.3:80');
  const all = 'server a 10.0.0.1:80\nserver b 10.0.0.2:80\nserver c 10.0.0.3:80\n';
  await contents(main, all, 'main after the reload');
  await contents(extra, all, 'extra after the reload');

  d.signal('SIGTERM');
  assert.deepEqual(await d.exit, { code: 0, signal: null }, d.dump());
});

test('SIGHUP: a config whose backend option is out of range is refused with file:line; the daemon keeps running the old config', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  await kv.put('/services/web/a').value('10.0.0.1:80');
  const dir = await tempDir(t, 'keyplate-prod-sighup-option');
  const cfg = join(dir, 'keyplate.toml');
  const main = join(dir, 'main.cfg');
  await writeFile(join(dir, 'services.njk'), '{% for s in gets("/services/*/*") %}server {{ s.Key | base }} {{ s.Value }}\n{% endfor %}');
  await writeFile(cfg, resource('main', 'main.cfg', etcd.clientUrl));
  const d = startDaemon(t, { config: cfg });
  const contents = (want: string, what: string) =>
    waitFor(async () => (await readFile(main, 'utf8').catch(() => '')) === want, { timeoutMs: 20_000, message: `${what}\n${d.dump()}` });
  await contents('server a 10.0.0.1:80\n', 'the first render');
  await d.waitEvent('watching');

  // The same resource now also reads Rancher metadata, with a max_wait the schema refuses.
  const next = `${resource('main', 'main.cfg', etcd.clientUrl)}  [resource.backend.rancher]\n  keys = ["/self"]\n  max_wait = 500\n`;
  await writeFile(cfg, next);
  const line = next.split('\n').findIndex((l) => l.includes('max_wait')) + 1;
  const mark = d.logs.length;
  d.signal('SIGHUP');
  const refused = await d.waitEvent('config-reload-refused', { from: mark, message: 'the refusal' });
  assert.match(String(refused.err), new RegExp(`keyplate\\.toml:${line}:\\d+: resource\\[0\\]\\.backend\\.rancher\\.max_wait: must be from 1 to 120`));
  assert.equal(d.events('config-reload-refused', mark).length, 1, 'logged once');
  assert.ok(!d.exited, 'the daemon is still running');
  await kv.put('/services/web/b').value('10.0.0.2:80');
  await contents('server a 10.0.0.1:80\nserver b 10.0.0.2:80\n', 'a change after the refused reload to render with the old config');
  d.signal('SIGTERM');
  assert.deepEqual(await d.exit, { code: 0, signal: null }, d.dump());
});
