/**
 * The v3 watch watchdog: the timer logic on a manual clock, and a real etcd behind a proxy whose
 * connections go silently dead (no error, no close): the watch is rebuilt on a fresh connection
 * within `watch_watchdog` and loses nothing. gRPC keepalive alone would take 40 s.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openBackend } from '../../../src/backends/registry.ts';
import { StreamWatchdog } from '../../../src/backends/etcd/v3-watchdog.ts';
import { normalizeKey } from '../../../src/tree/keys.ts';
import { testClock } from '../../helpers/clock.ts';
import { TreeConsumer } from '../../helpers/etcd-consumer.ts';
import { startEtcd, v3Client } from '../../helpers/etcd.ts';
import { captureLogger } from '../../helpers/logger.ts';
import { startTcpProxy } from '../../helpers/tcp-proxy.ts';
import { waitFor } from '../../helpers/wait.ts';

function rig(timeoutMs: number) {
  const clock = testClock(1_000);
  const seen = { probes: 0, silent: [] as number[] };
  const dog = new StreamWatchdog({ timeoutMs, clock, probe: () => seen.probes++, onSilent: (idle) => seen.silent.push(idle) });
  return { clock, seen, dog };
}

test('watchdog: a probe after half the timeout, the verdict at the timeout, once', () => {
  const { clock, seen, dog } = rig(10_000);
  dog.start();
  clock.advance(4_999);
  assert.equal(seen.probes, 0);
  clock.advance(1);
  assert.equal(seen.probes, 1, 'a progress request after 5 s of silence');
  clock.advance(4_999);
  assert.deepEqual(seen.silent, []);
  clock.advance(1);
  assert.deepEqual(seen.silent, [10_000], 'dead after 10 s without an answer');
  clock.advance(60_000);
  assert.equal(seen.probes, 1);
  assert.equal(seen.silent.length, 1, 'declared dead once');
  assert.equal(clock.timers, 0, 'no timer left');
});

test('watchdog: an answered probe or any activity keeps the stream alive; stop() ends it', () => {
  const { clock, seen, dog } = rig(1_000);
  dog.start();
  for (let i = 0; i < 20; i++) {
    clock.advance(600); // the probe went out at 500 ms…
    dog.activity(); // …and the progress report came back
  }
  assert.equal(seen.probes, 20);
  assert.deepEqual(seen.silent, []);
  dog.stop();
  clock.advance(10_000);
  assert.deepEqual(seen.silent, []);
  assert.equal(clock.timers, 0);
});

test('etcd v3: a watch stream that goes silent is rebuilt within watch_watchdog and loses nothing', { timeout: 60_000 }, async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  await kv.put('/app/a').value('1');
  const url = new URL(etcd.clientUrl);
  const proxy = await startTcpProxy(t, { host: url.hostname, port: Number(url.port) });
  const log = captureLogger('debug');
  const b = openBackend('etcd', 'etcd', { nodes: [proxy.address], version: 3, watch_watchdog: '1s' }, {
    logger: log.logger, env: {}, fetch: globalThis.fetch, baseDir: process.cwd(),
  });
  t.after(() => b.close());
  const prefixes = [normalizeKey('/app')];
  const snap = await b.getValues(prefixes);
  const c = new TreeConsumer(b, prefixes, snap.values);
  const value = (k: string) => c.tree.toMap().get(normalizeKey(k));
  const unwatch = await b.watch!(prefixes, c.onEvent, { since: snap.revision });
  t.after(unwatch);
  await kv.put('/app/b').value('2');
  await waitFor(() => value('/app/b') === '2', { message: 'a change through the proxy' });

  const before = proxy.connections();
  proxy.freeze(); // the connection stays open and says nothing more
  const frozenAt = Date.now();
  await kv.put('/app/c').value('3');
  await kv.put('/app/a').value('1b');
  await waitFor(() => value('/app/c') === '3' && value('/app/a') === '1b', {
    timeoutMs: 15_000,
    intervalMs: 25,
    message: 'the changes made after the stream went silent',
  });
  const took = Date.now() - frozenAt;
  assert.ok(proxy.connections() > before, 'the watch was rebuilt on a fresh connection');
  assert.ok(log.lines.some((l) => l.event === 'watch-failed' && /watch_watchdog/.test(String(l.err))), 'the rebuild is logged, naming the option');
  assert.ok(await c.matchesFreshRead(), 'the watched tree equals a fresh read');
  t.diagnostic(`silent stream rebuilt and caught up in ${took} ms (watch_watchdog = 1 s)`);
});
