/**
 * `keyplate run --onetime` (the real CLI process, real etcd) with two resources, one of which
 * fails: the exit code is the failing step's (render → 5), stderr carries the per-resource
 * summary, the good resource is installed and the bad one's destination is not created. Once the
 * data is fixed, a second pass exits 0 and reports "in sync" / "updated".
 */
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExitCode } from '../../src/errors.ts';
import { startEtcd, v3Client } from '../helpers/etcd.ts';
import { tempDir } from '../helpers/tmp.ts';
import { startDaemon } from '../helpers/daemon.ts';

const resource = (name: string, template: string, etcd: string) => `
[[resource]]
name = "${name}"
  [[resource.template]]
  src = "${template}"
  dst = "${name}.cfg"
  [resource.backend.etcd]
  nodes = ["${etcd}"]
  version = 3
  keys = ["/services", "/config"]
`;

test('run --onetime: non-zero when a resource failed, with the per-resource summary; 0 once all pass', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  await kv.put('/services/web/a').value('10.0.0.1:80');
  const dir = await tempDir(t, 'keyplate-prod-onetime');
  await writeFile(join(dir, 'good.njk'), '{% for s in gets("/services/*/*") %}server {{ s.Key | base }} {{ s.Value }}\n{% endfor %}');
  await writeFile(join(dir, 'bad.njk'), 'maxconn {{ getv("/config/maxconn") }}\n');
  const cfg = join(dir, 'keyplate.toml');
  await writeFile(cfg, resource('good', 'good.njk', etcd.clientUrl) + resource('bad', 'bad.njk', etcd.clientUrl));

  const first = startDaemon(t, { config: cfg, args: ['--onetime'] });
  const exit = await first.exit;
  assert.deepEqual(exit, { code: ExitCode.RENDER, signal: null }, first.dump());
  const summary = first.raw.join('\n');
  assert.match(summary, /^keyplate: 1 ok, 1 failed$/m, summary);
  assert.match(summary, /^ {2}good: updated$/m, summary);
  assert.match(summary, /^ {2}bad: FAILED \(exit 5\) .*key does not exist: \/config\/maxconn/m, summary);
  assert.ok(first.events('render-failed', 0, { resource: 'bad' }).length > 0, first.dump());
  assert.equal(await readFile(join(dir, 'good.cfg'), 'utf8'), 'server a 10.0.0.1:80\n');
  await assert.rejects(stat(join(dir, 'bad.cfg')), 'the failed resource wrote nothing');
  assert.ok(first.events('status-listening').length === 0, 'no status listener in --onetime');

  await kv.put('/config/maxconn').value('2048');
  const second = startDaemon(t, { config: cfg, args: ['--onetime'] });
  assert.deepEqual(await second.exit, { code: 0, signal: null }, second.dump());
  const ok = second.raw.join('\n');
  assert.match(ok, /^keyplate: 2 ok, 0 failed$/m, ok);
  assert.match(ok, /^ {2}good: in sync$/m, ok);
  assert.match(ok, /^ {2}bad: updated$/m, ok);
  assert.equal(await readFile(join(dir, 'bad.cfg'), 'utf8'), 'maxconn 2048\n');
});
