/**
 * Defect 3 with the rancher-haproxy preset and real HAProxy: a container whose metadata passes the
 * preset's own validation but HAProxy refuses (a zone-scoped IPv6 `primary_ip`, `[fe80::1%zz9]`)
 * is quarantined; a good container added in the same burst is routed; removing the bad container
 * clears the quarantine.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it, type TestContext } from 'node:test';
import type { LogLine } from '../helpers/daemon.ts';
import { waitFor } from '../helpers/wait.ts';
import { addApp, DOMAIN, startEmulator, startKeyplate } from '../helpers/rancher-stack.ts';
import { get, startBackend } from './rancher-net.ts';

it('a container HAProxy refuses is quarantined, the rest is routed, removing it clears the quarantine', async (t: TestContext) => {
  const app1 = await startBackend(t, 'app1');
  const app2 = await startBackend(t, 'app2');
  const emu = await startEmulator(t);
  addApp(emu, 'app1', 'web', app1);
  const kp = await startKeyplate(t, emu, { apiVersion: '2016-07-29' });
  await waitFor(async () => (await get(kp.ports.http, `app1.${DOMAIN}`)).body === 'app1', { timeoutMs: 20_000, message: 'app1 routed' });

  const bad = addApp(emu, 'app1', 'web', app1, { name: 'zoned' });
  emu.patchContainer(bad.name, { primary_ip: 'fe80::1%zz9' });
  addApp(emu, 'app2', 'web', app2);
  const q = await kp.daemon.waitLog((l: LogLine) => String(l.msg).startsWith('key quarantined'), { timeoutMs: 30_000, message: 'key quarantined' });
  // every key of the new container is part of the refused change; holding any one of them keeps it out
  assert.match(String(q.key), /\/zoned\//);
  await waitFor(async () => (await get(kp.ports.http, `app2.${DOMAIN}`)).body === 'app2', { timeoutMs: 20_000, message: 'app2 routed (the rest installed)' });
  assert.equal((await get(kp.ports.http, `app1.${DOMAIN}`)).body, 'app1');
  assert.doesNotMatch(await readFile(kp.files.backends, 'utf8'), /fe80/);

  const from = kp.logs.length;
  emu.removeContainer(bad.name);
  await kp.daemon.waitLog((l: LogLine) => String(l.msg).startsWith('quarantined key deleted') && l.key === q.key, { from, timeoutMs: 20_000, message: 'released' });
  assert.equal(await kp.stop(), 0);
});
