/**
 * /healthz of the real daemon with `[http] freshness = "2s"`: 200 while etcd is up, 503 once etcd
 * has been gone longer than the window (counted from the disconnect, not from the last event of
 * an idle watch) (the last good render stays installed meanwhile), and 200
 * again after etcd came back, with a change made after the restart rendered.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startEtcd, v3Client } from '../helpers/etcd.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { startDaemon } from '../helpers/daemon.ts';

test('/healthz turns 503 when etcd is gone past the freshness window and 200 when it is back', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  await kv.put('/services/web/a').value('10.0.0.1:80');
  const dir = await tempDir(t, 'keyplate-prod-healthz');
  const dst = join(dir, 'services.cfg');
  await writeFile(join(dir, 'services.njk'), '{% for s in gets("/services/*/*") %}server {{ s.Key | base }} {{ s.Value }}\n{% endfor %}');
  await writeFile(join(dir, 'keyplate.toml'), `
[http]
freshness = "2s"

[[resource]]
name = "services"
  [[resource.template]]
  src = "services.njk"
  dst = "services.cfg"
  [resource.backend.etcd]
  nodes = ["${etcd.clientUrl}"]
  version = 3
  keys = ["/services"]
  watch = true
  request_timeout = 2
`);
  const d = startDaemon(t, { config: join(dir, 'keyplate.toml') });

  const up = await waitFor(async () => {
    const h = await d.healthz();
    return h.status === 200 ? h : undefined;
  }, { timeoutMs: 20_000, message: `/healthz 200 after the first render\n${d.dump()}` });
  assert.equal(up.body.ok, true);
  assert.equal(await readFile(dst, 'utf8'), 'server a 10.0.0.1:80\n');
  // An idle watch is current: /healthz stays 200 well past the window without any etcd event.
  const idleFrom = Date.now();
  await waitFor(async () => {
    const h = await d.healthz();
    assert.equal(h.status, 200, `an idle but connected watch stays healthy: ${JSON.stringify(h.body)}`);
    return Date.now() - idleFrom > 3_000;
  }, { timeoutMs: 20_000, intervalMs: 250, message: 'three idle seconds' });

  await etcd.stop();
  const stoppedAt = Date.now();
  const down = await waitFor(async () => {
    const h = await d.healthz();
    return h.status === 503 ? h : undefined;
  }, { timeoutMs: 30_000, intervalMs: 100, message: `/healthz 503 with etcd stopped\n${d.dump()}` });
  // The window counts from the moment etcd went away, not from the last (idle) watch event.
  assert.ok(Date.now() - stoppedAt >= 2_000, `503 only after the freshness window passed (after ${Date.now() - stoppedAt} ms): ${JSON.stringify(down.body)}`);
  assert.equal(down.body.ok, false);
  const res = down.body.resources.find((r) => r.resource === 'services');
  assert.match(res?.reason ?? '', /has not synced for \d+ s \(window 2 s\)/, JSON.stringify(down.body));
  assert.equal(await readFile(dst, 'utf8'), 'server a 10.0.0.1:80\n', 'the last good render stays while etcd is down');
  const m = await d.metrics();
  assert.equal(m.value('keyplate_backend_connected', { resource: 'services' }), 0);
  assert.ok(m.value('keyplate_watch_lag_seconds', { resource: 'services' }) >= 2);

  await etcd.start();
  await waitFor(async () => (await d.healthz()).status === 200, { timeoutMs: 30_000, intervalMs: 100, message: `/healthz 200 after etcd came back\n${d.dump()}` });
  await kv.put('/services/web/b').value('10.0.0.2:80');
  await waitFor(async () => (await readFile(dst, 'utf8')) === 'server a 10.0.0.1:80\nserver b 10.0.0.2:80\n', {
    timeoutMs: 20_000,
    message: `a change after the restart to render\n${d.dump()}`,
  });
  assert.equal((await d.healthz()).status, 200);

  d.signal('SIGTERM');
  assert.deepEqual(await d.exit, { code: 0, signal: null }, d.dump());
});

test('KEYPLATE_LISTEN (the image default) starts the status listener for a config without [http]', async (t) => {
  const dir = await tempDir(t, 'keyplate-prod-listen-env');
  await writeFile(join(dir, 'data.yaml'), 'services:\n  web:\n    a: 10.0.0.1:80\n');
  await writeFile(join(dir, 'services.njk'), '{% for s in gets("/services/*/*") %}server {{ s.Key | base }} {{ s.Value }}\n{% endfor %}');
  await writeFile(join(dir, 'keyplate.toml'), `
[[resource]]
name = "services"
  [[resource.template]]
  src = "services.njk"
  dst = "services.cfg"
  [resource.backend.file]
  filepath = "data.yaml"
  keys = ["/services"]
  watch = true
`);
  const d = startDaemon(t, { config: join(dir, 'keyplate.toml'), listen: false, env: { KEYPLATE_LISTEN: '127.0.0.1:0' } });
  const h = await waitFor(async () => {
    const r = await d.healthz();
    return r.status === 200 ? r : undefined;
  }, { timeoutMs: 20_000, message: `/healthz on the KEYPLATE_LISTEN address\n${d.dump()}` });
  assert.equal(h.body.ok, true);
  assert.equal(await readFile(join(dir, 'services.cfg'), 'utf8'), 'server a 10.0.0.1:80\n');
  d.signal('SIGTERM');
  assert.deepEqual(await d.exit, { code: 0, signal: null }, d.dump());

  // KEYPLATE_LISTEN="" (and no [http] listen, no --listen): no listener.
  const quiet = startDaemon(t, { config: join(dir, 'keyplate.toml'), listen: false, env: { KEYPLATE_LISTEN: '' } });
  await quiet.waitEvent('watching', { message: 'the daemon to run' });
  assert.ok(quiet.events('status-listening').length === 0, quiet.dump());
  quiet.signal('SIGTERM');
  assert.deepEqual(await quiet.exit, { code: 0, signal: null }, quiet.dump());
});
