/**
 * Defect 2 against real etcd and real HAProxy (examples/etcd-haproxy, keyplate as a child
 * process): every `/hosts/` key is deleted through the watch, then a server is added. The deletes
 * are data: the host map empties, the new server is applied, no guard holds and nothing logs a
 * guard failure.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { v3Client } from '../helpers/etcd.ts';
import { waitFor } from '../helpers/wait.ts';
import { httpGet, startBackend } from '../haproxy/harness.ts';
import { startStack, type LiveStack } from '../helpers/live-stack.ts';

const HOSTS = ['www.example.com', 'a.example.com', 'b.example.com', 'c.example.com', 'd.example.com'];

/** The last answer each host got (for the failure message). */
const last = new Map<string, string>();

/** One request to `host` answered 200 by one of `bodies` (the backend's servers). */
async function serves(stack: LiveStack, host: string, ...bodies: string[]): Promise<boolean> {
  const r = await httpGet(stack.port, host).catch((e: unknown) => e as Error);
  last.set(host, r instanceof Error ? `error ${r.message}` : `${r.status} ${r.body.slice(0, 80)}`);
  return !(r instanceof Error) && r.status === 200 && bodies.includes(r.body);
}

/** What HAProxy itself holds now: its host map and be_web's servers. */
async function haproxyView(stack: LiveStack): Promise<string> {
  const ask = (c: string) => stack.admin(c).catch((e: unknown) => `(${c}: ${(e as Error).message})`);
  return `show map:\n${await ask(`show map ${stack.mapPath}`)}\nshow servers state be_web:\n${await ask('show servers state be_web')}`;
}

it('deleting every /hosts key through the watch applies, and a server added afterwards is applied', async (t) => {
  const w1 = await startBackend(t, 'W1');
  const w8 = await startBackend(t, 'W8');
  const stack = await startStack(t, {
    seed: async (etcd) => {
      const c = v3Client(t, etcd.clientUrl);
      await c.put('/services/web/docker1:web.1:80').value(`127.0.0.1:${w1.port}`);
      for (const h of HOSTS) await c.put(`/hosts/${h}`).value('web');
    },
  });
  const client = v3Client(t, stack.etcd.clientUrl);
  await waitFor(() => serves(stack, 'd.example.com', 'W1'), { timeoutMs: 15_000, message: 'd.example.com → W1' });

  const from = stack.keyplate.logs.length;
  await client.delete().prefix('/hosts/');
  await waitFor(async () => !(await readFile(stack.mapPath, 'utf8')).includes('example.com'), { timeoutMs: 15_000, message: `the map empties\n${stack.keyplate.dump(from)}` });
  await client.put('/services/web/docker1:web.8:80').value(`127.0.0.1:${w8.port}`);
  await waitFor(async () => (await readFile(stack.cfgPath, 'utf8')).includes(`127.0.0.1:${w8.port}`), { timeoutMs: 15_000, message: `docker1:web.8:80 applied\n${stack.keyplate.dump(from)}` });

  // a host mapped again routes to the backend (either server: one request, whichever round robin
  // picks; asking W1 of one request and W8 of the next never matched when the two alternated)
  await client.put('/hosts/www.example.com').value('web');
  await waitFor(() => serves(stack, 'www.example.com', 'W1', 'W8'), {
    timeoutMs: 30_000,
    message: 'www routed again',
  }).catch(async (e: Error) => {
    // the map and the log as they are when the wait gives up, not as they were when it began
    const view = await haproxyView(stack);
    throw new Error(`${e.message}; last answer: ${last.get('www.example.com')}\nmap file:\n${await readFile(stack.mapPath, 'utf8')}\n${view}\n${stack.keyplate.dump(from)}`, { cause: e });
  });
  const logs = stack.keyplate.logs.slice(from);
  assert.equal(logs.filter((l) => l.event === 'guard-held' || l.code === 'E_GUARD').length, 0, stack.keyplate.dump(from));
  assert.equal(logs.filter((l) => /guard failed/.test(String(l.err ?? l.msg))).length, 0);
});
