/**
 * Issue 10, defect 1: etcd v3 with authentication on (a root user, and a reader whose role may
 * only read the watched prefix), restarted five times under a watching keyplate runner. After an
 * etcd restart the old auth token is invalid, so etcd cancels the watch create
 * (`watch_id -1`, "invalid auth token"): the watch must refresh its token and come back, and every
 * put made after each restart must reach the destination. No `interval` is set: the watch alone
 * has to deliver.
 */
import { test } from 'node:test';
import { enableAuthForReader, startEtcd, waitHealthy } from '../helpers/etcd.ts';
import { captureLogger } from '../helpers/logger.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { dumpOf, startRunner, waitForContents } from './etcd-fixture.ts';

test('etcd v3 with auth restarted 5 times under a watch: every put after each restart is applied', { timeout: 240_000 }, async (t) => {
  const etcd = await startEtcd(t);
  const root = await enableAuthForReader(t, etcd.clientUrl, { rootPassword: 'r00t', user: 'kp', password: 'kp-pass', prefix: '/svc' });
  const model = new Map<string, string>();
  const put = async (k: string, v: string) => {
    await root.put(k).value(v);
    model.set(k, v);
  };
  await put('/svc/a', 'first');
  const dir = await tempDir(t, 'keyplate-e2e-auth-restart');
  const log = captureLogger('debug');
  const live = await startRunner(t, {
    dir,
    etcdUrl: etcd.clientUrl,
    version: 3,
    keys: ['/svc'],
    logger: log.logger,
    backendExtra: 'username = "kp"\npassword = "kp-pass"',
  });
  await waitForContents(live, dumpOf(model), 'the first authenticated render');
  await waitFor(() => live.runner.status()[0].sources[0].connected, { message: 'the watch to be up' });
  await put('/svc/b', 'before-restarts');
  await waitForContents(live, dumpOf(model), 'a change through the authenticated watch');

  for (let round = 1; round <= 5; round++) {
    const seen = log.lines.length;
    await etcd.stop();
    const stoppedAt = Date.now();
    // etcd stays down 2-3 s: until the runner noticed, and at least 2 s.
    await waitFor(
      () => Date.now() - stoppedAt >= 2_000 && log.lines.slice(seen).some((l) => ['watch-failed', 'backend-error'].includes(String(l.event))),
      { timeoutMs: 30_000, intervalMs: 50, message: `round ${round}: the runner to notice etcd is gone` },
    );
    await etcd.start();
    await waitHealthy(etcd, 30_000);
    // the writer's token died with the restart too; retry until its put goes through
    await waitFor(() => put(`/svc/after/${round}`, `round-${round}`).then(() => true), {
      timeoutMs: 30_000,
      intervalMs: 200,
      message: `round ${round}: the put after the restart`,
    });
    await waitForContents(live, dumpOf(model), `round ${round}: the put after the restart to be applied`, 30_000);
  }
  await live.stop();
});
