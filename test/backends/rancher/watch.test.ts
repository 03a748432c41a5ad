import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { rancherRetry } from '../../../src/backends/rancher/watch.ts';
import { backoff } from '../../../src/schedule/schedule.ts';

const backoffMs = (attempt: number, maxMs: number, random: () => number) => backoff(rancherRetry(maxMs), attempt - 1, random);
import type { WatchEvent } from '../../../src/backends/contract.ts';
import { captureLogger } from '../../helpers/logger.ts';
import { waitFor } from '../../helpers/wait.ts';
import { backendFor, emulator, k } from './fixture.ts';

const prefixes = [k('/containers'), k('/self/service/metadata')];

function recorder() {
  const events: WatchEvent[] = [];
  const of = (type: WatchEvent['type']) => events.filter((e) => e.type === type);
  return { events, of, onEvent: (e: WatchEvent) => void events.push(e) };
}

describe('rancher backend: watch', () => {
  // max_wait and poll_interval are 60 s here, so a change seen within the test deadline can only
  // have come from the long poll waking on the change (the "within 1 s" requirement is structural:
  // no timer-driven path is shorter than 60 s).
  test('long poll reports a container add and a remove, then re-reads show them', { timeout: 30_000 }, async (t) => {
    const emu = await emulator(t);
    const b = backendFor(t, emu, { max_wait: 60, poll_interval: 60 });
    const snap = await b.getValues(prefixes);
    const rec = recorder();
    const unwatch = await b.watch!(prefixes, rec.onEvent, { since: snap.revision });
    t.after(unwatch);
    await waitFor(() => emu.pendingLongPolls === 1, { message: 'long poll pending' });
    const added = emu.addContainer('app7', 'web', { labels: { 'map-public-http': '7000' } });
    await waitFor(() => rec.of('change').length === 1, { message: 'change after add' });
    assert.deepEqual(rec.events[0], { type: 'change', revision: emu.version });
    const after = await b.getValues(prefixes);
    assert.equal(after.values.get(k('/containers/app7-web-1/labels/map-public-http')), '7000');
    assert.equal(after.revision, emu.version);
    emu.removeContainer(added.uuid);
    await waitFor(() => rec.of('change').length === 2, { message: 'change after remove' });
    assert.equal((await b.getValues(prefixes)).values.has(k('/containers/app7-web-1/name')), false);
    const waits = emu.requests.filter((r) => r.path === '/2015-12-19/version' && r.query.wait === 'true');
    assert.ok(waits.length >= 2);
    assert.deepEqual(waits[0].query, { wait: 'true', value: snap.revision, maxWait: '60' });
    assert.equal(rec.of('error').length, 0);
  });

  test('a stale `since` is reported at once (nothing lost between read and watch)', { timeout: 20_000 }, async (t) => {
    const emu = await emulator(t);
    const b = backendFor(t, emu, { max_wait: 60, poll_interval: 60 });
    const snap = await b.getValues(prefixes);
    emu.setServiceMetadata('proxy', 'HTTP', { aliases: { app1: ['new'] } });
    const rec = recorder();
    t.after(await b.watch!(prefixes, rec.onEvent, { since: snap.revision }));
    await waitFor(() => rec.of('change').length === 1);
    assert.equal((await b.getValues(prefixes)).values.get(k('/self/service/metadata/aliases/app1/0')), 'new');
  });

  test('falls back to polling when the server has no long poll, and says so', { timeout: 20_000 }, async (t) => {
    const emu = await emulator(t, { longPoll: false });
    const log = captureLogger();
    const b = backendFor(t, emu, { max_wait: 30, poll_interval: 0.05 }, { logger: log.logger });
    const snap = await b.getValues(prefixes);
    const rec = recorder();
    t.after(await b.watch!(prefixes, rec.onEvent, { since: snap.revision }));
    await waitFor(() => log.text().includes('does not support long polling'), { message: 'downgrade logged' });
    const waitsBefore = emu.requests.filter((r) => r.query.wait === 'true').length;
    emu.stopContainer('app1-nginx-1');
    await waitFor(() => rec.of('change').length === 1, { message: 'change seen by polling' });
    assert.equal((await b.getValues(prefixes)).values.get(k('/containers/app1-nginx-1/state')), 'stopped');
    assert.equal(emu.requests.filter((r) => r.query.wait === 'true').length, waitsBefore, 'no more long polls');
    assert.equal(waitsBefore, 2, 'downgraded after two same-version answers');
  });

  test('long_poll = false polls from the start', { timeout: 20_000 }, async (t) => {
    const emu = await emulator(t);
    const b = backendFor(t, emu, { long_poll: false, poll_interval: 0.05 });
    const rec = recorder();
    t.after(await b.watch!(prefixes, rec.onEvent, { since: emu.version }));
    emu.touch();
    await waitFor(() => rec.of('change').length === 1);
    assert.equal(emu.requests.filter((r) => r.query.wait === 'true').length, 0);
  });

  test('errors are retried with backoff; recovery reports connected, then changes flow again', { timeout: 30_000 }, async (t) => {
    const emu = await emulator(t);
    const b = backendFor(t, emu, { max_wait: 60, backoff_max: 0.05 });
    const rec = recorder();
    t.after(await b.watch!(prefixes, rec.onEvent, { since: emu.version }));
    await waitFor(() => emu.pendingLongPolls === 1);
    await emu.fail('refuse');
    await waitFor(() => rec.of('error').length >= 3, { message: 'repeated errors' });
    for (const e of rec.of('error')) assert.ok(e.type === 'error' && e.willRetry && e.error.retryable);
    emu.addContainer('app8', 'web'); // changed during the outage
    await emu.recover();
    await waitFor(() => rec.of('connected').length === 1, { message: 'connected' });
    await waitFor(() => rec.of('change').length === 1, { message: 'change made during the outage' });
    const lastError = rec.events.findLastIndex((e) => e.type === 'error');
    assert.ok(rec.events.findIndex((e) => e.type === 'connected') > lastError);
  });

  test('unwatch, abort signal and close stop everything; no long poll left behind', { timeout: 20_000 }, async (t) => {
    const emu = await emulator(t);
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const baseline = timers();
    const b = backendFor(t, emu, { max_wait: 60 });
    const rec = recorder();
    const unwatch = await b.watch!(prefixes, rec.onEvent, { since: emu.version });
    const ctl = new AbortController();
    await b.watch!(prefixes, rec.onEvent, { since: emu.version, signal: ctl.signal });
    await b.watch!(prefixes, rec.onEvent, { since: emu.version });
    await waitFor(() => emu.pendingLongPolls === 3);
    await unwatch();
    ctl.abort();
    await waitFor(() => emu.pendingLongPolls === 1, { message: 'two watches stopped' });
    await b.close();
    await waitFor(() => emu.pendingLongPolls === 0, { message: 'close stopped the last one' });
    emu.touch();
    assert.equal(rec.events.length, 0);
    await unwatch(); // idempotent
    await waitFor(() => timers() <= baseline, { message: 'no timers left' });
  });

  test('backoff grows, is capped and jittered', () => {
    assert.equal(backoffMs(1, 30_000, () => 1), 500);
    assert.equal(backoffMs(1, 30_000, () => 0), 250);
    assert.equal(backoffMs(4, 30_000, () => 1), 4000);
    assert.equal(backoffMs(50, 30_000, () => 1), 30_000);
    assert.equal(backoffMs(50, 30_000, () => 0), 15_000);
  });
});
