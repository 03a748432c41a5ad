/**
 * rancher-haproxy preset end to end: the real `keyplate run -c config.toml` against the metadata
 * emulator, real HAProxy and real backends. Three app stacks (one with aliases, one whose backend
 * speaks the PROXY protocol, one with a stopped container), once with API 2016-07-29 and the long
 * poll, once with 2015-12-19 against a server without long poll (RANCHER_POLL_INTERVAL=1).
 * Containers added and removed later reach routing through the Runtime API, without a reload.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it, type TestContext } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { addApp, DOMAIN, PROXY_LABEL, startEmulator, startKeyplate, type Keyplate } from '../helpers/rancher-stack.ts';
import { bodies, get, startBackend, startProxyProtocolBackend, type TestBackend } from './rancher-net.ts';

const VARIANTS = [
  { apiVersion: '2016-07-29', longPoll: true, pollInterval: '600' },
  { apiVersion: '2015-12-19', longPoll: false, pollInterval: '1' },
] as const;

/** Live change: wait until `routed` holds on real requests, then assert it went through the Runtime API. */
async function assertAppliedLive(kp: Keyplate, change: () => void, routed: () => Promise<boolean>, what: string): Promise<void> {
  const before = await kp.showProc();
  const mark = kp.logs.length;
  change();
  await waitFor(routed, { timeoutMs: 20_000, message: what });
  await kp.daemon.waitEvent('applied', { from: mark, message: `the "applied" event for ${what}` });
  const applied = kp.daemon.events('applied', mark);
  assert.deepEqual(applied.map((l) => l.method), applied.map(() => 'runtime'), `${what}: applied live\n${kp.daemon.dump(mark)}`);
  assert.equal(kp.daemon.events('haproxy-reload', mark).length, 0, `${what}: no reload`);
  const after = await kp.showProc();
  assert.equal(after.reloads, before.reloads, `${what}: HAProxy's reload counter did not move`);
  assert.deepEqual(after.workers, before.workers, `${what}: same worker`);
}

const served = (replies: readonly string[]) => new Set(replies.map((r) => r.replace(/^200 /, '')));

describe('rancher-haproxy preset end to end: routing', () => {
  for (const v of VARIANTS) {
    it(`routes stacks, aliases, PROXY protocol and stopped containers (API ${v.apiVersion}, long poll ${v.longPoll ? 'on' : 'off'})`, async (t: TestContext) => {
      const b: Record<string, TestBackend> = {};
      for (const name of ['app1-a', 'app1-b', 'app1-c', 'app3-running', 'app3-stopped']) b[name] = await startBackend(t, name);
      const shop = await startProxyProtocolBackend(t, 'shop');
      const emu = await startEmulator(t, { aliases: { app1: ['www', 'x.app3'] }, longPoll: v.longPoll });
      const a1 = addApp(emu, 'app1', 'web', b['app1-a']);
      const a2 = addApp(emu, 'app1', 'web', b['app1-b']);
      // upper case in the stack name: API 2015-12-19 serves it as written, keyplate lower-cases the host
      const s1 = addApp(emu, 'Shop', 'web', shop, { labels: { [PROXY_LABEL]: 'send-proxy' } });
      const r1 = addApp(emu, 'app3', 'api', b['app3-running']);
      addApp(emu, 'app3', 'api', b['app3-stopped'], { state: 'stopped' });
      const kp = await startKeyplate(t, emu, { apiVersion: v.apiVersion, env: { RANCHER_POLL_INTERVAL: v.pollInterval } });
      const http = kp.ports.http;

      await t.test('renders a map (most specific host first) and backends that pass haproxy -c', async () => {
        assert.equal(
          await readFile(kp.files.map, 'utf8'),
          ['x.app3.dev.tld app1', 'app1.dev.tld app1', 'app3.dev.tld app3', 'shop.dev.tld shop', 'www.dev.tld app1', ''].join('\n'),
        );
        const backends = await readFile(kp.files.backends, 'utf8');
        const server = (c: { service_name: string | null; uuid: string }, port: number) => `server ${c.service_name!.toLowerCase()}-${c.uuid} 127.0.0.1:${port}`;
        assert.match(backends, /^backend app1$/m);
        assert.ok(backends.includes(`${server(a1, b['app1-a'].port)}\n`), backends);
        assert.ok(backends.includes(`${server(a2, b['app1-b'].port)}\n`), backends);
        assert.ok(backends.includes(`${server(s1, shop.port)} send-proxy\n`), backends);
        assert.ok(backends.includes(`${server(r1, b['app3-running'].port)}\n`), backends);
        assert.ok(!backends.includes(`:${b['app3-stopped'].port}`), 'the stopped container is not a server');
        assert.match(await kp.check(), /Configuration file is valid/);
      });

      await t.test('real requests reach the right backend', async () => {
        assert.deepEqual(served(await bodies(http, `app1.${DOMAIN}`, 4)), new Set(['app1-a', 'app1-b']));
        assert.deepEqual(served(await bodies(http, `www.${DOMAIN}`, 2)), new Set(['app1-a', 'app1-b']), 'alias');
        assert.deepEqual(served(await bodies(http, `app1.${DOMAIN}:8080`, 2)), new Set(['app1-a', 'app1-b']), 'host with a port');
        assert.deepEqual(served(await bodies(http, `x.app3.${DOMAIN}`, 2)), new Set(['app1-a', 'app1-b']), 'the more specific alias wins over app3');
        assert.deepEqual(served(await bodies(http, `App3.${DOMAIN}`, 4)), new Set(['app3-running']), 'host matching ignores case');
        assert.equal(b['app3-stopped'].hits, 0, 'the stopped container gets no request');
        const viaProxy = await get(http, `SHOP.${DOMAIN}`);
        assert.deepEqual([viaProxy.status, viaProxy.body], [200, 'shop via 127.0.0.1']);
        assert.equal(shop.rejected, 0, 'every connection to the PROXY-protocol backend started with a PROXY line');
        assert.match(shop.proxyLines[0] ?? '', /^PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ \d+$/);
        const unknown = await get(http, `unknown.${DOMAIN}`);
        assert.equal(unknown.status, 503, 'an unknown host gets 503 from be_sorry');
        assert.equal((await get(http, 'elsewhere.example')).status, 503);
      });

      if (!v.longPoll) {
        await t.test('detects the server without long poll and polls /version', async () => {
          await kp.daemon.waitEvent('long-poll-unsupported');
        });
      }

      let added: { name: string } | undefined;
      await t.test(`a container added to a stack is routed live (${v.longPoll ? 'long poll' : 'polling'})`, async () => {
        await assertAppliedLive(
          kp,
          () => void (added = addApp(emu, 'app1', 'web', b['app1-c'])),
          async () => (await bodies(http, `app1.${DOMAIN}`, 3)).includes('200 app1-c'),
          'the new container to serve app1',
        );
        assert.deepEqual(served(await bodies(http, `app1.${DOMAIN}`, 6)), new Set(['app1-a', 'app1-b', 'app1-c']));
      });

      await t.test('a container removed from a stack leaves routing live', async () => {
        await assertAppliedLive(
          kp,
          () => emu.removeContainer(a1.name),
          async () => !(await bodies(http, `app1.${DOMAIN}`, 6)).includes('200 app1-a'),
          'the removed container to stop serving app1',
        );
        assert.deepEqual(served(await bodies(http, `app1.${DOMAIN}`, 4)), new Set(['app1-b', 'app1-c']));
        assert.ok(added, 'the container was added before');
        assert.ok(!(await readFile(kp.files.backends, 'utf8')).includes(a1.uuid));
      });

      await t.test('a new alias (a map-only change) is routed live', async () => {
        assert.equal((await get(http, `api.${DOMAIN}`)).status, 503);
        await assertAppliedLive(
          kp,
          () => emu.setServiceMetadata('proxy', 'HTTP', { aliases: { app1: ['www', 'x.app3'], app3: ['api'] } }),
          async () => (await get(http, `api.${DOMAIN}`)).body === 'app3-running',
          'the new alias to route to app3',
        );
        assert.match(await readFile(kp.files.map, 'utf8'), /^api\.dev\.tld app3$/m);
      });

      assert.equal(await kp.stop(), 0, `keyplate exits 0 on SIGTERM\n${kp.daemon.dump(-10)}`);
    });
  }
});
