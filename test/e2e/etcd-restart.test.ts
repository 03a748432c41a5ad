/**
 * etcd stopped and restarted (gracefully, then by SIGKILL) under a watching keyplate runner (v3 and v2): writes acknowledged just
 * before the stop and writes made after the restart all reach the destination; it converges to a
 * fresh one-shot render without a lost update, and the runner reports the backend connected again.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { startEtcd, v2Delete, v2Put, v3Client, waitHealthy } from '../helpers/etcd.ts';
import { captureLogger } from '../helpers/logger.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { dumpOf, startRunner, waitForContents } from './etcd-fixture.ts';

async function restartScenario(t: TestContext, version: 2 | 3): Promise<void> {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  const put = async (k: string, v: string) => {
    if (version === 3) await kv.put(k).value(v);
    else await v2Put(etcd.clientUrl, k, v);
    model.set(k, v);
  };
  const del = async (k: string) => {
    if (version === 3) await kv.delete().key(k);
    else await v2Delete(etcd.clientUrl, k);
    model.delete(k);
  };
  const model = new Map<string, string>();
  for (let i = 0; i < 5; i++) await put(`/svc/a/${i}`, `a${i}`);
  const dir = await tempDir(t, 'keyplate-e2e-restart');
  const log = captureLogger('debug');
  const live = await startRunner(t, { dir, etcdUrl: etcd.clientUrl, version, keys: ['/svc'], logger: log.logger });
  await waitForContents(live, dumpOf(model), 'the first render');
  await waitFor(() => live.runner.status()[0].sources[0].connected, { message: 'the watch to be up' });

  // Twice: a graceful harness restart, then a crash (SIGKILL) and start. Each time a burst is
  // acknowledged right before etcd goes away, so the watch may not have delivered all of it.
  for (const [round, how] of [[1, 'restart'], [2, 'crash']] as const) {
    const warnings = log.lines.length;
    for (let i = 0; i < 20; i++) await put(`/svc/b${round}/${i}`, `b${i}`);
    await del(`/svc/a/${round - 1}`);
    await put('/svc/a/4', `changed-${round}`);
    if (how === 'restart') await etcd.restart();
    else {
      await etcd.kill();
      await etcd.start();
      await waitHealthy(etcd);
    }
    // The watch saw its connection drop…
    await waitFor(() => log.lines.slice(warnings).some((l) => ['watch-failed', 'watch-restarting', 'backend-error'].includes(String(l.event))), {
      timeoutMs: 20_000,
      message: `the runner to notice the lost connection (${how})`,
    });
    // …and after the restart, new writes arrive as well as the burst before it.
    await put(`/svc/c/after${round}`, 'restart');
    await del(`/svc/b${round}/3`);
    await put('/svc/a/3', `after-${round}`);
  }

  const expected = dumpOf(model);
  const fresh = await live.freshRender();
  assert.equal(fresh, expected, 'a fresh one-shot render shows every acknowledged write');
  await waitForContents(live, fresh, 'the watched destination to converge after the restart');
  await waitFor(() => live.runner.status()[0].sources[0].connected, { timeoutMs: 20_000, message: 'the backend to be connected again' });
  assert.equal(live.runner.status()[0].failures, 0, 'no render failed (the tree was kept while etcd was down)');
  await live.stop();
}

test('etcd v3 restarted mid-watch: the destination converges with no lost update', async (t) => {
  await restartScenario(t, 3);
});

test('etcd v2 restarted mid-watch: the destination converges with no lost update', async (t) => {
  await restartScenario(t, 2);
});
