/**
 * `logOutput`: HAProxy's stdout (`log stdout`, the access logs) is copied to it as it comes, which
 * is how `HAPROXY_LOG=stdout` in the preset reaches `docker logs`. Without it the lines stay out
 * of keyplate's stdout.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { httpGet, startBackend, startFixture } from './harness.ts';

test('HAProxy access logs (log stdout) are copied to logOutput', async (t) => {
  const app = await startBackend(t, 'app');
  const out = new PassThrough();
  let copied = '';
  out.on('data', (c) => (copied += String(c)));
  const fx = await startFixture(
    t,
    { backends: { be_app: { servers: [{ name: 's1', port: app.port }] } }, frontendExtra: ['log stdout format raw daemon', 'option httplog'] },
    { 'app.test': 'be_app' },
    { logOutput: out },
  );
  const r = await httpGet(fx.port, 'app.test');
  assert.equal(r.body, 'app');
  await waitFor(() => /\bfe be_app\/s1 .* 200 .*"GET \/ HTTP\/1\.1"/.test(copied), { timeoutMs: 10_000, message: `the access log line on logOutput (got ${JSON.stringify(copied)})` });
});
