/**
 * rancher-haproxy preset end to end, metadata outages: while the metadata service refuses
 * connections, answers 500, hangs, or lists no containers, every destination file stays
 * byte-identical (same content, same inode), HAProxy keeps serving, and a change made during the
 * outage is not applied. After recover(), that change and a new one are applied. A long outage
 * logs its error once (rate limited: identical repeats are summarized at most once a minute) and
 * its recovery once.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { FailureMode } from '../emulator/rancher-metadata.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import type { LogLine } from '../helpers/daemon.ts';
import { addApp, DOMAIN, fileStates, startEmulator, startKeyplate } from '../helpers/rancher-stack.ts';
import { bodies, makeCert, startBackend, type TestBackend } from './rancher-net.ts';

const MODES: readonly FailureMode[] = ['refuse', 'status-500', 'hang', 'empty-containers'];

/** keyplate noticed the outage: the watch or a read failed. */
const outageLogged = (l: LogLine) =>
  (l.level ?? 0) >= 40 && ['backend-error', 'watch-failed'].includes(String(l.event));

describe('rancher-haproxy preset end to end: metadata outages', () => {
  it('keeps every file and HAProxy serving through refuse, status-500, hang and empty-containers', async (t: TestContext) => {
    const cert = await makeCert(await tempDir(t, 'keyplate-cert'), DOMAIN);
    const app = await startBackend(t, 'app1');
    const emu = await startEmulator(t, { sslCert: cert.cert, sslKey: cert.key });
    addApp(emu, 'app1', 'web', app);
    const kp = await startKeyplate(t, emu, { apiVersion: '2016-07-29', env: { ENABLE_SSL: 'true', RANCHER_POLL_INTERVAL: '2' } });
    const files = [kp.files.config, kp.files.backends, kp.files.map, kp.files.pem];
    const host = `app1.${DOMAIN}`;

    for (const mode of MODES) {
      await t.test(`outage: ${mode}`, async () => {
        const during: TestBackend = await startBackend(t, `during-${mode}`);
        const later: TestBackend = await startBackend(t, `after-${mode}`);
        const before = await fileStates(files);
        assert.ok(before.every((f) => f !== undefined), 'all four files exist');
        const mark = kp.logs.length;
        await emu.fail(mode);
        addApp(emu, 'app1', 'web', during); // a change keyplate cannot see (or must not trust) now
        await kp.daemon.waitLog(outageLogged, { from: mark, timeoutMs: 30_000, message: `keyplate to notice the ${mode} outage` });
        for (const r of await bodies(kp.ports.http, host, 4)) assert.match(r, /^200 /, 'HAProxy keeps serving');
        assert.equal(during.hits, 0, 'the change made during the outage is not applied');
        assert.deepEqual(await fileStates(files), before, `every file is byte-identical, same inode\n${kp.daemon.dump(mark)}`);

        await emu.recover();
        addApp(emu, 'app1', 'web', later);
        await waitFor(async () => (await bodies(kp.ports.http, host, 4), during.hits > 0 && later.hits > 0), {
          timeoutMs: 40_000,
          message: `the changes made during and after the ${mode} outage to be routed`,
        });
        assert.notDeepEqual(await fileStates([kp.files.backends]), [before[1]], 'the backends file was replaced');
      });
    }

    assert.equal(await kp.stop(), 0, kp.daemon.dump(-10));
  });
});

describe('rancher-haproxy preset: a long metadata outage is logged once, not once per retry', () => {
  it('logs the failure once while it repeats, and the recovery once', async (t: TestContext) => {
    const app = await startBackend(t, 'app1');
    const emu = await startEmulator(t, {});
    addApp(emu, 'app1', 'web', app);
    const kp = await startKeyplate(t, emu, { apiVersion: '2016-07-29', env: { RANCHER_POLL_INTERVAL: '1', LOG_LEVEL: 'debug' } });
    await kp.daemon.waitEvent('haproxy-started');
    const mark = kp.logs.length;
    await emu.fail('refuse');
    // Retried for a while: the interval re-read fails every second or so, the watch with backoff.
    const failures = (n: number) =>
      waitFor(() => kp.logs.slice(mark).filter((l) => l.event === 'backend-error').length >= n, {
        timeoutMs: 60_000,
        message: `${n} failed attempts during the outage`,
      });
    const warnings = () => kp.logs.slice(mark).filter((l) => (l.level ?? 0) >= 40);
    await failures(6);
    const early = warnings().length; // the first failure of each kind (read, watch): a few lines
    assert.ok(early >= 1 && early <= 6, `${early} warnings at the start of the outage\n${kp.daemon.dump(mark)}`);
    await failures(14);
    assert.equal(warnings().length, early, `no new warning while the same errors repeat (8 more attempts)\n${kp.daemon.dump(mark)}`);

    const back = kp.logs.length;
    await emu.recover();
    await kp.daemon.waitLog((l) => l.event === 'backend-recovered', { from: back, timeoutMs: 30_000, message: 'the recovery line' });
    const recovered = kp.logs.slice(back).filter((l) => l.event === 'backend-recovered');
    assert.ok(Number(recovered[0].failures) >= 8, 'the recovery line counts the failures');
    assert.equal(await kp.stop(), 0, kp.daemon.dump(-10));
  });
});
