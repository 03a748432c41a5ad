/**
 * /metrics of the real daemon against real etcd: the text parses as Prometheus exposition format,
 * and the counters move with what happens: a render (renders_total{result="changed"}, installs_total,
 * the duration histogram), a value the template cannot use (quarantined: quarantined_keys, nothing
 * failed), a broken template (failures_total{step="render"}), a check_cmd that refuses every render
 * (failures_total{step="check"}, check_failures_total), and recovery.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startEtcd, v3Client } from '../helpers/etcd.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { startDaemon, type Daemon } from '../helpers/daemon.ts';
import type { Samples } from '../helpers/prometheus.ts';

const TEMPLATE = `# weight {{ atoi(getv("/config/weight", "1")) }}
{% for s in gets("/services/*/*") %}server {{ s.Key | base }} {{ s.Value }}
{% endfor %}`;

/** Wait until a scrape satisfies `pred`; returns that scrape. */
async function scrapeUntil(d: Daemon, pred: (m: Samples) => boolean, message: string): Promise<Samples> {
  const from = d.mark();
  return waitFor(async () => {
    const m = await d.metrics();
    return pred(m) ? m : undefined;
  }, { timeoutMs: 20_000, intervalMs: 100, message }).catch((e: Error) => {
    throw new Error(`${e.message}\n${d.dump(from)}`, { cause: e });
  });
}

test('/metrics parses as Prometheus text and its counters move with renders, render failures and check rejections', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  await kv.put('/services/web/a').value('10.0.0.1:80');
  const dir = await tempDir(t, 'keyplate-prod-metrics');
  const dst = join(dir, 'out', 'services.cfg');
  await writeFile(join(dir, 'services.njk'), TEMPLATE);
  await writeFile(join(dir, 'keyplate.toml'), `
[[resource]]
name = "services"
  [[resource.template]]
  src = "services.njk"
  dst = "out/services.cfg"
  make_directories = true
  check_cmd = "test ! -e ${join(dir, 'refuse')}"
  [resource.backend.etcd]
  nodes = ["${etcd.clientUrl}"]
  version = 3
  keys = ["/services", "/config"]
  watch = true
`);
  const d = startDaemon(t, { config: join(dir, 'keyplate.toml') });
  const R = { resource: 'services' };

  const first = await scrapeUntil(d, (m) => m.value('keyplate_renders_total', { ...R, result: 'changed' }) >= 1, 'the first render to be counted');
  assert.equal(await readFile(dst, 'utf8'), '# weight 1\nserver a 10.0.0.1:80\n');
  assert.equal(first.types.get('keyplate_renders_total'), 'counter');
  assert.equal(first.types.get('keyplate_failures_total'), 'counter');
  assert.equal(first.types.get('keyplate_render_duration_seconds'), 'histogram');
  assert.equal(first.types.get('keyplate_resource_up'), 'gauge');
  assert.equal(first.value('keyplate_installs_total', R), 1, 'one destination installed');
  assert.equal(first.value('keyplate_render_duration_seconds_count', R), first.value('keyplate_renders_total', R), 'one duration sample per cycle');
  assert.equal(first.value('keyplate_render_duration_seconds_bucket', { ...R, le: '+Inf' }), first.value('keyplate_render_duration_seconds_count', R));
  assert.equal(first.value('keyplate_failures_total', R), 0);
  assert.equal(first.value('keyplate_resource_up', R), 1);
  assert.equal(first.value('keyplate_backend_connected', R), 1);
  assert.ok(first.value('keyplate_backend_revision', R) > 0, 'the etcd revision is exported');
  assert.ok(first.samples.some((s) => s.name === 'process_cpu_user_seconds_total'), 'process default metrics are there');

  // A value the template cannot use: the key is quarantined, nothing fails, the destination stays.
  await kv.put('/config/weight').value('heavy');
  const held = await scrapeUntil(d, (m) => m.value('keyplate_quarantined_keys', R) === 1, 'the bad value to be quarantined');
  assert.equal(held.value('keyplate_failures_total', R), 0, 'a quarantined value is not a failed resource');
  assert.equal(held.value('keyplate_resource_up', R), 1);
  assert.equal(await readFile(dst, 'utf8'), '# weight 1\nserver a 10.0.0.1:80\n', 'the held key keeps its last good value');

  // Fixed: the quarantine clears and the value renders.
  await kv.put('/config/weight').value('5');
  const fixed = await scrapeUntil(d, (m) => m.value('keyplate_installs_total', R) >= 2 && m.value('keyplate_quarantined_keys', R) === 0, 'the fixed value to be installed');
  assert.equal(fixed.value('keyplate_resource_up', R), 1);
  assert.equal(await readFile(dst, 'utf8'), '# weight 5\nserver a 10.0.0.1:80\n');

  // A broken template (no key to blame): a render failure, the destination stays.
  await writeFile(join(dir, 'services.njk'), '{{ atoi("broken") }}');
  const bad = await scrapeUntil(d, (m) => m.value('keyplate_failures_total', { ...R, step: 'render' }) >= 1, 'a render failure');
  assert.equal(bad.value('keyplate_renders_total', { ...R, result: 'failed' }), bad.value('keyplate_failures_total', R));
  assert.equal(bad.value('keyplate_resource_up', R), 0);
  assert.ok(bad.value('keyplate_render_duration_seconds_count', R) > first.value('keyplate_render_duration_seconds_count', R), 'the failed cycle is timed too');
  assert.equal(await readFile(dst, 'utf8'), '# weight 5\nserver a 10.0.0.1:80\n', 'the failed render left the destination alone');
  await d.waitEvent('render-failed', { fields: (l) => String(l.err).includes('broken'), message: 'the render failure naming the value' });
  await writeFile(join(dir, 'services.njk'), TEMPLATE);
  await scrapeUntil(d, (m) => m.value('keyplate_resource_up', R) === 1, 'the restored template to render');

  // check_cmd refuses every render (no key to blame): counted as a check failure, nothing installed.
  await writeFile(join(dir, 'refuse'), '');
  await kv.put('/services/web/b').value('10.0.0.2:80');
  const rejected = await scrapeUntil(d, (m) => m.value('keyplate_failures_total', { ...R, step: 'check' }) >= 1, 'a check rejection');
  assert.ok(rejected.value('keyplate_check_failures_total', R) >= 1);
  assert.equal(rejected.value('keyplate_installs_total', R), 2, 'nothing installed');
  assert.equal(rejected.value('keyplate_failures_total', { ...R, step: 'render' }), bad.value('keyplate_failures_total', { ...R, step: 'render' }));
  assert.equal(await readFile(dst, 'utf8'), '# weight 5\nserver a 10.0.0.1:80\n');

  // The checker accepts again: the next change installs everything.
  await rm(join(dir, 'refuse'));
  await kv.put('/services/web/c').value('10.0.0.3:80');
  const healed = await scrapeUntil(d, (m) => m.value('keyplate_installs_total', R) >= 3, 'the render after the rejection');
  assert.equal(await readFile(dst, 'utf8'), '# weight 5\nserver a 10.0.0.1:80\nserver b 10.0.0.2:80\nserver c 10.0.0.3:80\n');
  assert.equal(healed.value('keyplate_resource_up', R), 1);
  assert.ok(healed.value('keyplate_renders_total', { ...R, result: 'changed' }) >= 3);
  const total = healed.value('keyplate_renders_total', R);
  assert.equal(healed.value('keyplate_render_duration_seconds_count', R), total, 'every cycle has a duration sample');

  d.signal('SIGTERM');
  assert.deepEqual(await d.exit, { code: 0, signal: null }, d.dump());
});
