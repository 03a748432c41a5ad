/**
 * A v3 watch create that etcd refuses for a reason other than the token (permission denied):
 * the refusal is not dropped. The watch reports a retrying error naming etcd's reason, keeps
 * asking with backoff, and delivers once the user is granted the prefix.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Range } from 'etcd3';
import { openBackend } from '../../../src/backends/registry.ts';
import type { WatchEvent } from '../../../src/backends/contract.ts';
import { normalizeKey } from '../../../src/tree/keys.ts';
import { enableAuthForReader, startEtcd } from '../../helpers/etcd.ts';
import { captureLogger } from '../../helpers/logger.ts';
import { waitFor } from '../../helpers/wait.ts';

test('etcd v3: a watch refused for permission is an error with retries, and delivers once granted', { timeout: 60_000 }, async (t) => {
  const etcd = await startEtcd(t);
  const root = await enableAuthForReader(t, etcd.clientUrl, { rootPassword: 'r00t', user: 'kp', password: 'kp-pass', prefix: '/svc' });
  const log = captureLogger('debug');
  const b = openBackend('etcd', 'etcd', { nodes: [etcd.clientUrl], version: 3, username: 'kp', password: 'kp-pass' }, {
    logger: log.logger, env: {}, fetch: globalThis.fetch, baseDir: process.cwd(),
  });
  t.after(() => b.close());
  const events: WatchEvent[] = [];
  const unwatch = await b.watch!([normalizeKey('/other')], (e) => events.push(e), {});
  t.after(unwatch);
  const refused = await waitFor(() => events.find((e) => e.type === 'error'), { message: 'the refusal as an error' });
  assert.equal(refused.type === 'error' && refused.willRetry, true);
  assert.match(refused.type === 'error' ? refused.error.message : '', /permission denied/i);
  assert.equal(log.lines.filter((l) => l.event === 'watch-canceled' && l.action === 'retry').length, 1, 'warned once');

  const role = await root.role('kp-other').create();
  await role.grant({ permission: 'Read', range: Range.prefix('/other') });
  await root.user('kp').addRole(role);
  await waitFor(() => events.some((e) => e.type === 'connected'), { timeoutMs: 20_000, message: 'the watch accepted after the grant' });
  await root.put('/other/x').value('1');
  await waitFor(() => events.some((e) => e.type === 'change' && e.changes?.some((c) => c.key === '/other/x' && c.value === '1')), {
    timeoutMs: 20_000,
    message: 'a change under the newly granted prefix',
  });
});
