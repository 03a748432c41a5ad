/**
 * The feed's ordering rules, driven directly with a scripted backend and a test clock: deltas and
 * full reads wait for the end of a frozen render and then apply in order; a full read racing the
 * watch re-applies what arrived meanwhile and never rolls back a newer change, while deltas the
 * snapshot already covers are not applied again; a broken watch restarts after its backoff (on the
 * clock) from the last delivered revision.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Backend, Snapshot, WatchEvent, WatchOptions } from '../../src/backends/contract.ts';
import { BackendError } from '../../src/errors.ts';
import { Feed } from '../../src/runner/feed.ts';
import { normalizeKey, type KeyPath } from '../../src/tree/keys.ts';
import { feedSpec } from '../backends/conformance-driver.ts';
import { testClock, type TestClock } from '../helpers/clock.ts';
import { silentLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';

const K = (s: string) => normalizeKey(s);

/** A backend whose reads the test answers one by one and whose watch the test drives. */
class Scripted implements Backend {
  readonly name = 'scripted';
  readonly kind = 'memory' as const;
  readonly reads: Array<{ resolve(s: Snapshot): void; reject(e: unknown): void }> = [];
  readonly watches: Array<{ since?: string; emit(e: WatchEvent): void }> = [];

  getValues(): Promise<Snapshot> {
    return new Promise((resolve, reject) => this.reads.push({ resolve, reject }));
  }

  async watch(_p: readonly KeyPath[], onEvent: (e: WatchEvent) => void, opts?: WatchOptions) {
    this.watches.push({ since: opts?.since, emit: onEvent });
    return async () => {};
  }

  async close() {}

  /** Answer the oldest pending read. */
  answer(revision: string, values: Record<string, string>): void {
    this.reads.shift()!.resolve({ revision, values: new Map(Object.entries(values).map(([k, v]) => [K(k), v])) });
  }

  /** Deliver deltas on the newest watch. */
  change(revision: string, ...changes: Array<[string, string?]>): void {
    const changesOut = changes.map(([key, value]) => (value === undefined ? { key: K(key) } : { key: K(key), value }));
    this.watches.at(-1)!.emit({ type: 'change', revision, changes: changesOut });
  }
}

interface Rig {
  readonly b: Scripted;
  readonly feed: Feed;
  readonly clock: TestClock;
  readonly dirty: string[];
}

/** A feed over `/app` with a first read at revision 10 done and its watch started. */
async function rig(t: TestContext, initial: Record<string, string> = { '/app/a': '1' }): Promise<Rig> {
  const b = new Scripted();
  const clock = testClock(1_000);
  const feed = new Feed(feedSpec('/app', []), b, silentLogger(), clock);
  const loaded = feed.load();
  b.answer('10', initial);
  assert.equal(await loaded, true);
  const dirty: string[] = [];
  const stop = new AbortController();
  const watching = feed.watch((reason) => dirty.push(reason), stop.signal);
  t.after(async () => {
    stop.abort();
    await watching;
  });
  await waitFor(() => b.watches.length === 1);
  assert.equal(b.watches[0].since, '10', 'the watch resumes from the revision read');
  return { b, feed, clock, dirty };
}

const tree = (f: Feed) => Object.fromEntries(f.tree.toMap());

describe('feed: freeze and replay', () => {
  it('deltas during a frozen render queue, then apply after thaw in their order', async (t) => {
    const { b, feed, dirty } = await rig(t);
    feed.freeze();
    b.change('11', ['/app/b', '2']);
    b.change('12', ['/app/a']);
    b.change('13', ['/app/c', 'x'], ['/app/c', 'y']);
    b.change('14', ['/app/b', '3']);
    assert.deepEqual(tree(feed), { '/a': '1' }, 'the render sees the tree it started with');
    assert.equal(dirty.length, 4, 'each batch marks the resource dirty');
    assert.equal(feed.thaw(), true);
    assert.deepEqual(tree(feed), { '/b': '3', '/c': 'y' });
    assert.equal(feed.status().revision, '14');
    assert.equal(feed.thaw(), false, 'nothing left to apply');
  });

  it('a full read during a frozen render waits for the thaw', async (t) => {
    const { b, feed } = await rig(t);
    feed.freeze();
    const read = feed.load();
    b.answer('20', { '/app/z': 'new' });
    assert.equal(await read, false, 'nothing changed yet: the tree is frozen');
    assert.deepEqual(tree(feed), { '/a': '1' });
    assert.equal(feed.thaw(), true);
    assert.deepEqual(tree(feed), { '/z': 'new' });
  });

  it('a full read racing the watch re-applies the deltas that arrived meanwhile and never rolls back', async (t) => {
    const { b, feed } = await rig(t, { '/app/a': '1', '/app/gone': 'x' });
    const read = feed.load(); // e.g. an interval beside the watch
    b.change('12', ['/app/a', 'newer'], ['/app/gone']);
    b.change('13', ['/app/added', 'y']);
    b.answer('11', { '/app/a': 'older', '/app/gone': 'x' }); // read at 11, answered after 12 and 13
    assert.equal(await read, true);
    assert.deepEqual(tree(feed), { '/a': 'newer', '/added': 'y' });
    assert.equal(feed.status().revision, '13', 'the revision does not go back to the read');
  });

  it('deltas the snapshot already covers are not applied again', async (t) => {
    const { b, feed } = await rig(t, { '/app/k': 'v1' });
    const read = feed.load();
    b.change('11', ['/app/k', 'v2']);
    b.change('12', ['/app/old', 'o']);
    b.answer('13', { '/app/new': 'n' }); // at 13, k and old were deleted again
    assert.equal(await read, true);
    assert.deepEqual(tree(feed), { '/new': 'n' }, 'revisions 11 and 12 are in the snapshot: no resurrection');
    assert.equal(feed.status().revision, '13');
  });

  it('a racing read while frozen: queued deltas, then the snapshot, then its replay, in order', async (t) => {
    const { b, feed } = await rig(t);
    const read = feed.load();
    feed.freeze();
    b.change('12', ['/app/a', 'newer']);
    b.answer('11', { '/app/a': 'older', '/app/b': 'b' });
    assert.equal(await read, false);
    b.change('13', ['/app/b']);
    assert.deepEqual(tree(feed), { '/a': '1' });
    assert.equal(feed.thaw(), true);
    assert.deepEqual(tree(feed), { '/a': 'newer' });
  });

  it('a change outside the read prefixes (a watchKeys trigger) marks dirty but stays out of the tree; one without deltas makes the feed stale', async (t) => {
    const { b, feed, dirty } = await rig(t);
    b.change('11', ['/apple/x', '1'], ['/other', '2']);
    assert.deepEqual(tree(feed), { '/a': '1' });
    assert.deepEqual(dirty, ['watchKeys trigger']);
    assert.equal(feed.stale, false);
    b.watches[0].emit({ type: 'change', revision: '12' });
    assert.equal(feed.stale, true);
    assert.deepEqual(dirty, ['watchKeys trigger', 'change']);
    const read = feed.load();
    b.answer('12', { '/app/a': '2' });
    await read;
    assert.equal(feed.stale, false);
    assert.deepEqual(tree(feed), { '/a': '2' });
  });
});

describe('feed: watch restarts on the clock', () => {
  it('a watch that gives up restarts after its backoff, from the last delivered revision', async (t) => {
    const { b, feed, clock } = await rig(t);
    clock.advance(500);
    b.change('15', ['/app/a', '2']);
    assert.equal(feed.status().lastSyncAt, 1_500, 'synced at the clock time of the event');
    clock.advance(250);
    b.watches[0].emit({ type: 'error', error: new BackendError('scripted', 'stream reset', { retryable: false }), willRetry: false });
    assert.equal(feed.status().connected, false);
    assert.match(feed.status().lastError ?? '', /stream reset/);
    await waitFor(() => clock.timers === 1, { message: 'the backoff timer' });
    clock.advance(249); // the first backoff is jittered within [250, 500] ms
    await new Promise((r) => setImmediate(r));
    assert.equal(b.watches.length, 1, 'no restart before the backoff elapses');
    clock.advance(251);
    await waitFor(() => b.watches.length === 2, { message: 'the restarted watch' });
    assert.equal(b.watches[1].since, '15', 'resumes after the last delivered revision');
    b.change('16', ['/app/a', '3']);
    assert.deepEqual(tree(feed), { '/a': '3' });
    assert.equal(feed.status().connected, true);
  });

  it('a retrying error keeps the watch; "connected" clears the error', async (t) => {
    const { b, feed, clock } = await rig(t);
    b.watches[0].emit({ type: 'error', error: new BackendError('scripted', 'down'), willRetry: true });
    assert.equal(feed.status().connected, false);
    assert.equal(clock.timers, 0, 'the backend retries on its own: no restart scheduled');
    b.watches[0].emit({ type: 'connected' });
    assert.equal(feed.status().connected, true);
    assert.equal(feed.status().lastError, undefined);
    assert.equal(b.watches.length, 1);
  });
});

describe('feed: stopping', () => {
  it('a stop that lands while the watch is being set up ends the watch (it once hung forever: a stop during start-up left the daemon running)', async () => {
    const b = new Scripted();
    const feed = new Feed(feedSpec('/app', []), b, silentLogger(), testClock(1_000));
    const loaded = feed.load();
    b.answer('10', { '/app/a': '1' });
    await loaded;
    const stop = new AbortController();
    let unwatched = false;
    b.watch = async (_p, onEvent) => {
      stop.abort(); // SIGTERM arrives while the backend is still arming its watch
      b.watches.push({ emit: onEvent });
      return async () => void (unwatched = true);
    };
    const ended = await Promise.race([feed.watch(() => {}, stop.signal).then(() => 'ended'), waitFor(() => false, { timeoutMs: 5_000 }).catch(() => 'hung')]);
    assert.equal(ended, 'ended');
    assert.equal(unwatched, true, 'the watch was closed');
  });
});
