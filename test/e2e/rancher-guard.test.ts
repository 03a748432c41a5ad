/**
 * Defect 2 with the rancher-haproxy preset (metadata emulator, real HAProxy): the proxy service's
 * metadata changes from `{aliases: {…}}` to `{}`. A Rancher answer is a snapshot, so the data guard
 * holds `/self/service/metadata` at its last good values (logged once), but only that prefix:
 * containers added afterwards are routed and removed ones are no longer routed.
 */
import assert from 'node:assert/strict';
import { it, type TestContext } from 'node:test';
import type { LogLine } from '../helpers/daemon.ts';
import { waitFor } from '../helpers/wait.ts';
import { addApp, DOMAIN, startEmulator, startKeyplate } from '../helpers/rancher-stack.ts';
import { get, startBackend } from './rancher-net.ts';

it('metadata emptied: the prefix is held, new containers are routed, removed ones are not', async (t: TestContext) => {
  const app1 = await startBackend(t, 'app1');
  const app2 = await startBackend(t, 'app2');
  const app3 = await startBackend(t, 'app3');
  const emu = await startEmulator(t, { aliases: { app1: ['www'] } });
  addApp(emu, 'app1', 'web', app1);
  const gone = addApp(emu, 'app3', 'web', app3);
  const kp = await startKeyplate(t, emu, { apiVersion: '2016-07-29' });
  const routes = async (host: string, body: string) => (await get(kp.ports.http, `${host}.${DOMAIN}`)).body === body;
  await waitFor(() => routes('www', 'app1'), { timeoutMs: 20_000, message: 'www → app1 (alias)' });
  await waitFor(() => routes('app3', 'app3'), { timeoutMs: 20_000, message: 'app3 routed' });

  const from = kp.logs.length;
  emu.setServiceMetadata('proxy', 'HTTP', {});
  // the daemon reacted to the emptied metadata (held now; refused the render before the fix)
  await kp.daemon.waitLog((l: LogLine) => l.event === 'guard-held' || l.event === 'render-failed', { from, timeoutMs: 20_000, message: 'the metadata change seen' });
  addApp(emu, 'app2', 'web', app2);
  await waitFor(() => routes('app2', 'app2'), { timeoutMs: 20_000, message: `app2 routed after the metadata emptied\n${kp.daemon.dump(from)}` });
  const held = await kp.daemon.waitEvent('guard-held', { from, timeoutMs: 20_000, message: 'the metadata prefix held' });
  assert.equal(held.prefix, '/self/service/metadata');
  emu.removeContainer(gone.name);
  await waitFor(async () => !(await routes('app3', 'app3')), { timeoutMs: 20_000, message: 'app3 no longer routed' });
  assert.ok(await routes('www', 'app1'), 'the held alias keeps its last good value');
  assert.equal(kp.daemon.events('guard-held', from).length, 1, 'logged once');
  assert.equal(kp.logs.slice(from).filter((l: LogLine) => l.code === 'E_GUARD').length, 0, kp.daemon.dump(from));
  assert.equal(await kp.stop(), 0);
});
