/**
 * Defect 3 against real HAProxy (examples/etcd-haproxy, real etcd, keyplate as a child process):
 * `/services/web/docker9:bad:80 = [::::]:80` passes the template's own filter, HAProxy refuses it;
 * keyplate installs every other change of the same burst (a new service and its host), reports
 * the key quarantined, and deleting the key clears the quarantine; later changes apply throughout.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { v3Client } from '../helpers/etcd.ts';
import { waitFor } from '../helpers/wait.ts';
import { httpGet, startBackend } from '../haproxy/harness.ts';
import { startStack, type LiveStack } from '../helpers/live-stack.ts';

const BAD_KEY = '/services/web/docker9:bad:80';

async function serves(stack: LiveStack, host: string, body: string): Promise<boolean> {
  const r = await httpGet(stack.port, host).catch(() => undefined);
  return r?.status === 200 && r.body === body;
}

it('HAProxy refuses [::::]:80: every other change is installed, the key is quarantined, deleting it clears it', async (t) => {
  const w1 = await startBackend(t, 'W1');
  const w2 = await startBackend(t, 'W2');
  const w3 = await startBackend(t, 'W3');
  const stack = await startStack(t, {
    seed: async (etcd) => {
      const c = v3Client(t, etcd.clientUrl);
      await c.put('/services/web/docker1:web.1:80').value(`127.0.0.1:${w1.port}`);
      await c.put('/hosts/www.example.com').value('web');
    },
  });
  const client = v3Client(t, stack.etcd.clientUrl);
  await waitFor(() => serves(stack, 'www.example.com', 'W1'), { timeoutMs: 15_000, message: 'www → W1' });

  await client.put(BAD_KEY).value('[::::]:80');
  await client.put('/services/api/docker2:api.1:80').value(`127.0.0.1:${w2.port}`);
  await client.put('/hosts/api.example.com').value('api');

  const q = await stack.keyplate.waitLog((l) => String(l.msg).startsWith('key quarantined') && l.key === BAD_KEY, { timeoutMs: 30_000, message: 'key quarantined' });
  assert.equal(q.value, '[::::]:80');
  assert.match(String(q.reason), /\[::::\]/, 'HAProxy\'s own message');
  await waitFor(() => serves(stack, 'api.example.com', 'W2'), { timeoutMs: 15_000, message: 'api → W2 (the rest installed)' });
  assert.ok(await serves(stack, 'www.example.com', 'W1'));
  assert.doesNotMatch(await readFile(stack.cfgPath, 'utf8'), /::::/);

  // a later change applies while the key is held
  await client.put('/services/web/docker3:web.3:80').value(`127.0.0.1:${w3.port}`);
  await waitFor(async () => (await readFile(stack.cfgPath, 'utf8')).includes(`127.0.0.1:${w3.port}`), { timeoutMs: 15_000, message: 'docker3 installed' });

  const from = stack.keyplate.logs.length;
  await client.delete().key(BAD_KEY);
  await stack.keyplate.waitLog((l) => String(l.msg).startsWith('quarantined key deleted') && l.key === BAD_KEY, { from, timeoutMs: 15_000, message: 'released' });
  assert.equal(stack.keyplate.logs.slice(from).filter((l) => String(l.msg).startsWith('key quarantined')).length, 0);
});
