/**
 * Defect 2, the other way round: the guard survives a restart. `run --onetime` installs and leaves
 * `<dst>.keyplate-state` (key counts per prefix, mode 0600, no value); etcd's `/hosts` is emptied
 * while keyplate is down. The next `run --onetime` and a daemon start both refuse to install the
 * emptied prefix (exit 10, the file stays, /healthz names the prefix); `--allow-empty` installs it.
 */
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExitCode } from '../../src/errors.ts';
import { startEtcd, v3Client } from '../helpers/etcd.ts';
import { tempDir } from '../helpers/tmp.ts';
import { startDaemon } from '../helpers/daemon.ts';

const TEMPLATE = '{% for h in gets("/hosts/*") %}host {{ h.Key | base }} {{ h.Value }}\n{% endfor %}{% for s in gets("/services/*") %}server {{ s.Key | base }} {{ s.Value }}\n{% endfor %}';

test('an emptied backend snapshot is refused by --onetime and at daemon start across restarts; --allow-empty installs it', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  for (const h of ['h1', 'h2', 'h3']) await kv.put(`/hosts/${h}`).value('web');
  await kv.put('/services/a').value('10.0.0.1:80');
  await kv.put('/services/b').value('10.0.0.2:80');
  const dir = await tempDir(t, 'keyplate-guard-restart');
  await writeFile(join(dir, 'app.njk'), TEMPLATE);
  const cfg = join(dir, 'keyplate.toml');
  await writeFile(cfg, `
[[resource]]
name = "app"
  [[resource.template]]
  src = "app.njk"
  dst = "app.cfg"
  [resource.backend.etcd]
  nodes = ["${etcd.clientUrl}"]
  version = 3
  keys = ["/services", "/hosts"]
  watch = true
`);
  const dst = join(dir, 'app.cfg');
  const statePath = `${dst}.keyplate-state`;
  const good = 'host h1 web\nhost h2 web\nhost h3 web\n' + 'server a 10.0.0.1:80\nserver b 10.0.0.2:80\n';

  const first = startDaemon(t, { config: cfg, args: ['--onetime'] });
  assert.deepEqual(await first.exit, { code: 0, signal: null }, first.dump());
  assert.equal(await readFile(dst, 'utf8'), good);
  const state = await readFile(statePath, 'utf8');
  assert.equal((await stat(statePath)).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(state).prefixes, { 'etcd /services': 2, 'etcd /hosts': 3 });
  assert.doesNotMatch(state, /10\.0\.0|web/, 'no value in the state file');

  // emptied while keyplate is down; another change beside it
  await kv.delete().prefix('/hosts/');
  await kv.put('/services/c').value('10.0.0.3:80');

  const refused = startDaemon(t, { config: cfg, args: ['--onetime'] });
  assert.deepEqual(await refused.exit, { code: ExitCode.GUARD, signal: null }, refused.dump());
  assert.equal(await readFile(dst, 'utf8'), good, 'the installed file stays');
  const summary = refused.raw.join('\n');
  assert.match(summary, /\/hosts on etcd is empty but had 3 keys/, summary);
  assert.match(summary, /--allow-empty/, summary);
  assert.equal(refused.events('guard-held', 0, { prefix: '/hosts' }).length, 1, refused.dump());

  // a daemon start refuses the same way and says so on /healthz
  const d = startDaemon(t, { config: cfg });
  await d.waitEvent('render-failed', { fields: { code: 'E_GUARD' }, timeoutMs: 20_000, message: 'the daemon refuses' });
  assert.equal(await readFile(dst, 'utf8'), good);
  const h = await d.healthz();
  assert.equal(h.status, 503, 'never installed since start');
  const res = (h.body as unknown as { degraded?: boolean; resources: Array<{ degraded?: string; guarded?: Array<{ prefix: string }> }> });
  assert.equal(res.degraded, true);
  assert.match(String(res.resources[0].degraded), /data guard holds \/hosts on etcd/);
  assert.deepEqual(res.resources[0].guarded?.map((g) => g.prefix), ['/hosts']);
  assert.equal((await d.metrics()).value('keyplate_guard_held_prefixes', { resource: 'app' }), 1);
  d.signal('SIGTERM');
  assert.deepEqual(await d.exit, { code: 0, signal: null }, d.dump());

  const allowed = startDaemon(t, { config: cfg, args: ['--onetime', '--allow-empty'] });
  assert.deepEqual(await allowed.exit, { code: 0, signal: null }, allowed.dump());
  assert.equal(await readFile(dst, 'utf8'), 'server a 10.0.0.1:80\nserver b 10.0.0.2:80\nserver c 10.0.0.3:80\n');
  assert.deepEqual(JSON.parse(await readFile(statePath, 'utf8')).prefixes, { 'etcd /services': 3, 'etcd /hosts': 0 });

  // and from then on an empty /hosts is the baseline: a plain --onetime is fine
  const again = startDaemon(t, { config: cfg, args: ['--onetime'] });
  assert.deepEqual(await again.exit, { code: 0, signal: null }, again.dump());
});
