/**
 * Data guards in the real daemon against real etcd, read on an interval (every read a snapshot).
 * `/services` had 10 services and a read finds none: the default guard (guard_empty) holds the
 * prefix at its last good values, the destination keeps the 10, the log says why (once),
 * keyplate_guard_refusals_total{reason="empty"} moves and /healthz says degraded. A second
 * resource with `guard_empty = false, max_shrink = "50%"` holds the same drop as a shrink. When
 * services come back, each resource installs as soon as its guard passes. (A delete the watch
 * delivers is data and never held: test/e2e/live-guard.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startEtcd, v3Client } from '../helpers/etcd.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { startDaemon, type Daemon } from '../helpers/daemon.ts';

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `server s${from + i} 10.0.0.${from + i + 1}:80\n`).join('');

function resource(name: string, etcd: string, guard = ''): string {
  return `
[[resource]]
name = "${name}"
${guard}
  [[resource.template]]
  src = "services.njk"
  dst = "${name}.cfg"
  [resource.backend.etcd]
  nodes = ["${etcd}"]
  version = 3
  keys = ["/services"]
  interval = "1s"
`;
}

async function refusals(d: Daemon, resource: string, reason: string): Promise<number> {
  return (await d.metrics()).value('keyplate_guard_refusals_total', { resource, reason });
}

test('the guard keeps 10 services when /services empties, counts the refusal and recovers when data returns', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  for (let i = 0; i < 10; i++) await kv.put(`/services/web/s${i}`).value(`10.0.0.${i + 1}:80`);
  const dir = await tempDir(t, 'keyplate-prod-guard');
  const dst = { open: join(dir, 'default.cfg'), strict: join(dir, 'strict.cfg') };
  await writeFile(join(dir, 'services.njk'), '{% for s in gets("/services/*/*") %}server {{ s.Key | base }} {{ s.Value }}\n{% endfor %}');
  await writeFile(join(dir, 'keyplate.toml'), resource('default', etcd.clientUrl) + resource('strict', etcd.clientUrl, 'guard_empty = false\nmax_shrink = "50%"'));
  const d = startDaemon(t, { config: join(dir, 'keyplate.toml') });
  const contents = (file: string, want: string, what: string) =>
    waitFor(async () => (await readFile(file, 'utf8').catch(() => '')) === want, { timeoutMs: 20_000, message: `${what}\n${d.dump()}` });
  // lexical key order: s0, s1, s10.., s2 ... (only s0..s9 here)
  const ten = lines(10);
  await contents(dst.open, ten, 'the first render of default');
  await contents(dst.strict, ten, 'the first render of strict');
  assert.equal(await refusals(d, 'default', 'empty'), 0);

  // Every service gone from what a read returns.
  let mark = d.logs.length;
  await kv.delete().prefix('/services/');
  await waitFor(async () => (await refusals(d, 'default', 'empty')) >= 1 && (await refusals(d, 'strict', 'shrink')) >= 1, {
    timeoutMs: 20_000, message: `both guards to hold\n${d.dump()}`,
  });
  for (const resource of ['default', 'strict']) await d.waitEvent('guard-held', { from: mark, fields: { resource, prefix: '/services' } });
  const held = (resource: string) => d.events('guard-held', mark, { resource })[0];
  assert.match(String(held('default')?.msg), /\/services on etcd is empty but had 10 keys at the last install \(guard_empty\); holding its last good values/, d.dump(mark));
  assert.match(String(held('strict')?.msg), /\/services on etcd shrank from 10 to 0 keys \(100% > max_shrink 50%\)/, d.dump(mark));
  assert.equal(await readFile(dst.open, 'utf8'), ten, 'default keeps the 10 services');
  assert.equal(await readFile(dst.strict, 'utf8'), ten, 'strict keeps the 10 services');
  const m = await d.metrics();
  assert.equal(m.value('keyplate_failures_total', { resource: 'default', step: 'guard' }), 0, 'a hold is not a failure');
  assert.equal(m.value('keyplate_guard_held_prefixes', { resource: 'default' }), 1);
  assert.equal(m.value('keyplate_installs_total', { resource: 'default' }), 1, 'nothing installed since the first render');
  assert.equal(m.value('keyplate_guard_refusals_total', { resource: 'default', reason: 'shrink' }), 0);
  const degraded = await d.healthz();
  assert.equal(degraded.status, 200, 'still serving the last good config');
  assert.match(JSON.stringify(degraded.body), /"degraded":"data guard holds \/services on etcd/);

  // Two new services: fine for the default guard, still too big a drop for strict.
  mark = d.logs.length;
  await kv.put('/services/api/s20').value('10.0.0.21:80');
  await kv.put('/services/api/s21').value('10.0.0.22:80');
  await contents(dst.open, lines(2, 20), 'default to install the new services');
  await d.waitEvent('guard-released', { from: mark, fields: { resource: 'default' }, message: 'default released' });
  assert.equal(await readFile(dst.strict, 'utf8'), ten);
  // the file is renamed into place before its `installed` line is logged
  await d.waitEvent('installed', { from: mark, fields: { resource: 'default' }, message: 'the install of default' });
  assert.ok(d.events('installed', mark, { resource: 'default' }).length > 0, d.dump(mark));
  assert.equal(d.events('guard-held', mark).length, 0, 'the strict hold is not logged again');

  // Six in all (a 40 % drop): strict installs too.
  for (let i = 22; i < 26; i++) await kv.put(`/services/api/s${i}`).value(`10.0.0.${i + 1}:80`);
  await contents(dst.strict, lines(6, 20), 'strict to install 6 of 10');
  await contents(dst.open, lines(6, 20), 'default to follow');
  assert.equal(await refusals(d, 'default', 'empty'), 1, 'no further hold');
  const h = await d.healthz();
  assert.equal(h.status, 200, JSON.stringify(h.body));
  assert.doesNotMatch(JSON.stringify(h.body), /degraded/);

  d.signal('SIGTERM');
  assert.deepEqual(await d.exit, { code: 0, signal: null }, d.dump());
});
