/**
 * rancher-haproxy preset end to end, hostile metadata: labels and names are written by whoever
 * deploys a container. Every hostile value is rejected with a warning naming its container, none
 * of it reaches the rendered files, and the rest still renders, passes `haproxy -c` and routes.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it, type TestContext } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { addApp, DOMAIN, LABEL, PROXY_LABEL, startEmulator, startKeyplate, type Keyplate } from '../helpers/rancher-stack.ts';
import { bodies, get, startBackend } from './rancher-net.ts';

const INJECTED = '80\n  stats enable';

/** Text that must never appear in a rendered file (the trap port is added per test). */
const FORBIDDEN = ['stats enable', 'check', '99999', 'bad stack', 'bad#stack', 'bad', 'evil', 'hostile', 'backend x'];

async function renderedText(kp: Keyplate): Promise<string> {
  const texts = await Promise.all([kp.files.config, kp.files.backends, kp.files.map].map((f) => readFile(f, 'utf8')));
  return texts.join('\n----\n');
}

function skippedContainers(kp: Keyplate, from = 0): Set<string> {
  return new Set(kp.daemon.events('skipped', from, { level: 40 }).map((l) => String(l.item)));
}

describe('rancher-haproxy preset end to end: hostile metadata', () => {
  it('rejects and logs hostile labels, names and aliases; the rest renders and routes', async (t: TestContext) => {
    const good = await startBackend(t, 'app1');
    const good2 = await startBackend(t, 'app1-second');
    const trap = await startBackend(t, 'trap');
    const emu = await startEmulator(t, { aliases: { app1: ['www', 'evil\n  stats enable'] } });
    addApp(emu, 'app1', 'web', good);
    const hostile: Array<[name: string, stack: string, port: string, labels?: Record<string, string>]> = [
      ['hostile-newline', 'evil1', INJECTED],
      ['hostile-zero', 'evil2', '0'],
      ['hostile-big', 'evil3', '99999'],
      ['hostile-words', 'evil4', '80 check'],
      ['hostile-space', 'bad stack', String(trap.port)],
      ['hostile-hash', 'bad#stack', String(trap.port)],
      ['hostile-proxy', 'evil5', String(trap.port), { [PROXY_LABEL]: 'send-proxy\nbackend x' }],
    ];
    for (const [name, stack, port, labels] of hostile) addApp(emu, stack, 'web', port, { name, labels });
    const kp = await startKeyplate(t, emu, { apiVersion: '2016-07-29' });
    const forbidden = [...FORBIDDEN, `:${trap.port}`];

    await t.test('every hostile container and alias is rejected with a warning that names it', async () => {
      await kp.daemon.waitEvent('skipped');
      const named = skippedContainers(kp);
      for (const [name] of hostile) assert.ok(named.has(name), `a warning names ${name}\n${kp.daemon.dump()}`);
      assert.ok(named.has('alias of stack app1'), 'the hostile alias is named by its stack');
      const newline = kp.logs.find((l) => l.item === 'hostile-newline');
      assert.match(String(newline?.msg), new RegExp(`label ${LABEL}=.*is not a port`));
      assert.ok(!String(newline?.msg).includes('\n'), 'the warning itself is one line (the value is JSON-quoted)');
    });

    await t.test('the rendered files contain none of the hostile text and pass haproxy -c', async () => {
      const text = await renderedText(kp);
      for (const bad of forbidden) assert.ok(!text.includes(bad), `rendered files contain ${JSON.stringify(bad)}:\n${text}`);
      assert.doesNotMatch(text, /:0$/m, 'no server on port 0');
      assert.equal(await readFile(kp.files.map, 'utf8'), `app1.${DOMAIN} app1\nwww.${DOMAIN} app1\n`);
      assert.match(await kp.check(), /Configuration file is valid/);
    });

    await t.test('the valid stack and alias route; hostile stacks do not', async () => {
      assert.deepEqual(await bodies(kp.ports.http, `app1.${DOMAIN}`, 2), ['200 app1', '200 app1']);
      assert.equal((await get(kp.ports.http, `www.${DOMAIN}`)).body, 'app1');
      for (const h of ['evil1', 'evil5', 'bad', 'evil']) assert.equal((await get(kp.ports.http, `${h}.${DOMAIN}`)).status, 503, h);
      assert.equal(trap.hits, 0);
    });

    await t.test('a hostile container added later is rejected too, while a good one beside it is routed', async () => {
      const mark = kp.logs.length;
      addApp(emu, 'app1', 'web', INJECTED, { name: 'hostile-live' });
      addApp(emu, 'app1', 'web', good2);
      await waitFor(async () => (await bodies(kp.ports.http, `app1.${DOMAIN}`, 2)).includes('200 app1-second'), {
        timeoutMs: 20_000,
        message: 'the good container added beside the hostile one to serve app1',
      });
      await kp.daemon.waitEvent('skipped', { from: mark, fields: { item: 'hostile-live' }, message: 'a warning naming hostile-live' });
      const text = await renderedText(kp);
      for (const bad of forbidden) assert.ok(!text.includes(bad), `rendered files contain ${JSON.stringify(bad)}`);
      assert.equal(kp.daemon.events('haproxy-reload', mark).length, 0, 'applied live, no reload');
    });

    assert.equal(await kp.stop(), 0, kp.daemon.dump(-10));
  });
});
