/**
 * The shared backend conformance suite, in the spirit of unstorage's driver suite and easykv's
 * shared assertions: every backend runs the same cases through the real runner feed. A backend
 * says how to make a fresh store and backend (`create`), how to write its initial data (`seed`) and
 * how to change it (`mutate`); what it cannot do is declared in `capabilities` with the reason,
 * and the suite (never the test file) skips those cases, saying why. A declared capability is
 * checked too: a backend that claims deltas must send them.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { Backend, KeyChange, WatchEvent } from '../../src/backends/contract.ts';
import { BackendError } from '../../src/errors.ts';
import { isUnder, normalizeKey } from '../../src/tree/keys.ts';
import { waitFor } from '../helpers/wait.ts';
import { applyOps, del, expectedDeltas, feedSpec, FeedDriver, put, type Op } from './conformance-driver.ts';

export { nest, put, del, applyOps, type Op } from './conformance-driver.ts';

/** A fresh store with a backend reading it; `backend` is closed by the suite. */
export interface Subject {
  readonly backend: Backend;
}

/** How to take a backend's store away and bring it back (server stopped, file broken). */
export interface Outage<S extends Subject> {
  /** Make reads and the watch fail (stop the server, break the file). */
  break(s: S): Promise<void>;
  /** Bring it back as it was before `break` (restart on the same data, restore the file). */
  repair(s: S): Promise<void>;
}

/** `true`: the backend does it (and the suite checks it does); a string: why it cannot (skipped). */
export interface Capabilities<S extends Subject> {
  /** `watch()` exists and reports changes. */
  readonly watch: true | string;
  /** Change events carry the ordered deltas (else the feed re-reads on each change). */
  readonly deltas: true | string;
  /** `watch({ since })` reports what changed after `since`, so nothing between read and watch is lost. */
  readonly resume: true | string;
  readonly outage: Outage<S> | string;
}

export interface BackendUnderTest<S extends Subject> {
  readonly name: string;
  /** A fresh, empty store and a backend over it; clean up with `t.after`. */
  create(t: TestContext): Promise<S>;
  /** Write the initial data (before the first read). */
  seed(s: S, data: ReadonlyMap<string, string>): Promise<void>;
  /** Apply ops in order, each one change (one revision where the store has revisions). */
  mutate(s: S, ops: readonly Op[]): Promise<void>;
  readonly capabilities: Capabilities<S>;
}

/** Keys are lower case without `_`, so that the env mapping (`/a/b` ↔ `A_B`) holds them too. */
export const SEED: ReadonlyMap<string, string> = new Map([
  ['/app/db/host', 'db.internal'],
  ['/app/db/port', '5432'],
  ['/app/web/title', 'Front end = "ü" & <b>'],
  ['/app/web/motd', 'line one\nline two'],
  ['/app/web/empty', ''],
  ['/app/cache/size', '64'], // under the prefix, outside the read keys
  ['/appx/y', 'sibling'], // a sibling sharing the prefix's first letters
  ['/application/x', 'sibling'],
]);
const PREFIX = '/app';
const KEYS = ['/db', '/web'];

/** One change at a time: each must show, in order. Includes changes the feed must not see. */
export const STEPS: readonly Op[] = [
  put('/app/db/port', '6543'),
  put('/app/web/new', 'fresh'),
  del('/app/web/empty'),
  put('/appx/y', 'changed'),
  put('/app/cache/size', '128'),
  del('/app/db/host'),
  put('/app/db/host', 'db2.internal'),
];

/** A burst on one key and its neighbours: only the order makes the final state right. */
export const BURST: readonly Op[] = [
  ...Array.from({ length: 8 }, (_, i) => put('/app/web/counter', String(i))),
  del('/app/web/counter'),
  put('/app/web/counter', 'final'),
  put('/app/db/replica', 'r1'),
  del('/app/db/replica'),
  put('/application/x', 'moved'),
];

const plain = (changes: readonly KeyChange[]) => changes.map((c) => (c.value === undefined ? { key: c.key } : { key: c.key, value: c.value }));
const skipUnless = (cap: unknown) => (typeof cap === 'string' ? cap : false);

export function testBackend<S extends Subject>(b: BackendUnderTest<S>): void {
  const caps = b.capabilities;

  /** A seeded store, a backend over it and a loaded feed; everything stops when the test ends. */
  async function setup(t: TestContext): Promise<{ s: S; d: FeedDriver; model: Map<string, string> }> {
    const s = await b.create(t);
    const model = new Map(SEED);
    await b.seed(s, model);
    const d = new FeedDriver(s.backend, feedSpec(PREFIX, KEYS));
    t.after(async () => {
      await d.stop();
      await s.backend.close();
    });
    assert.equal(await d.feed.load(), true, 'the first read fills the tree');
    assert.deepEqual(d.tree(), d.expected(model));
    return { s, d, model };
  }

  describe(`backend conformance: ${b.name}`, () => {
    test('snapshot: exactly the keys under the read prefixes, a stable revision, re-reads see changes; watch as declared', async (t) => {
      const { s, d, model } = await setup(t);
      assert.equal(typeof s.backend.watch === 'function', caps.watch === true, `declared watch: ${JSON.stringify(caps.watch)}`);
      const prefixes = d.feed.readPrefixes;
      const first = await s.backend.getValues(prefixes);
      assert.deepEqual(new Map(first.values), new Map([...model].filter(([k]) => prefixes.some((p) => isUnder(k, p)))));
      const again = await s.backend.getValues(prefixes);
      assert.equal(again.revision, first.revision, 'nothing changed: the same revision');
      assert.equal(await d.feed.load(), false, 'an unchanged re-read changes nothing');

      await b.mutate(s, STEPS);
      applyOps(model, STEPS);
      assert.equal(await d.feed.load(), true);
      assert.deepEqual(d.tree(), d.expected(model));
      const after = await s.backend.getValues(prefixes);
      if (first.revision !== undefined) assert.notEqual(after.revision, first.revision, 'a change moves the revision');
      const everything = await s.backend.getValues([normalizeKey('/')]);
      for (const k of ['/appx/y', '/application/x']) assert.equal(everything.values.get(normalizeKey(k)), model.get(k), `${k} under /`);
    });

    test('watch: every put and delete arrives exactly once, in order', { skip: skipUnless(caps.watch) }, async (t) => {
      const { s, d, model } = await setup(t);
      const readsBefore = d.recorder.reads;
      d.watch();
      await waitFor(() => d.recorder.watchSince.length > 0, { message: 'the watch to start' });
      for (const op of STEPS) {
        await b.mutate(s, [op]);
        applyOps(model, [op]);
        await d.converged(model);
      }
      await b.mutate(s, BURST);
      applyOps(model, BURST);
      await d.converged(model);
      if (caps.deltas === true) {
        const want = expectedDeltas([...STEPS, ...BURST], d.feed.watchPrefixes);
        await waitFor(() => d.recorder.deltas().length >= want.length, { message: `${want.length} deltas` });
        assert.deepEqual(plain(d.recorder.deltas()), want, 'every change once, in order, nothing outside the prefixes');
        assert.equal(d.recorder.reads, readsBefore, 'deltas alone kept the tree current (no re-read)');
      } else {
        assert.ok(d.recorder.events.some((e) => e.type === 'change'), 'change events (the feed re-reads on them)');
      }
    });

    test('resume: a watch from the read revision loses nothing that changed between read and watch', { skip: skipUnless(caps.resume) }, async (t) => {
      const { s, d, model } = await setup(t);
      const readRevision = d.feed.status().revision;
      const between = [put('/app/db/port', '7000'), del('/app/web/motd'), put('/app/web/late', 'x'), put('/appx/y', 'z')];
      await b.mutate(s, between);
      applyOps(model, between);
      d.watch();
      await d.converged(model);
      assert.equal(d.recorder.watchSince[0], readRevision, 'the feed watches from the revision it read');
      if (caps.deltas === true) {
        await waitFor(() => d.recorder.deltas().length >= 3, { message: 'the missed deltas' });
        assert.deepEqual(plain(d.recorder.deltas()), expectedDeltas(between, d.feed.watchPrefixes), 'the missed changes, once each');
      }
      // `since` directly: only what came after it.
      const mid = await s.backend.getValues(d.feed.readPrefixes);
      const later = [put('/app/db/port', '7001'), del('/app/web/late')];
      await b.mutate(s, later);
      applyOps(model, later);
      const seen: KeyChange[] = [];
      let changed = 0;
      const onEvent = (e: WatchEvent) => {
        if (e.type !== 'change') return;
        changed++;
        seen.push(...(e.changes ?? []));
      };
      const stop = await s.backend.watch!(d.feed.readPrefixes, onEvent, { since: mid.revision });
      t.after(stop);
      if (caps.deltas === true) {
        await waitFor(() => seen.length >= later.length, { message: 'the deltas after `since`' });
        assert.deepEqual(plain(seen), expectedDeltas(later, d.feed.readPrefixes));
      } else {
        await waitFor(() => changed > 0, { message: 'a change after `since`' });
      }
      await d.converged(model);
    });

    test('error then recovery: an error is reported, the last good tree stays, then it converges with nothing lost', { skip: skipUnless(caps.outage) }, async (t) => {
      const outage = caps.outage as Outage<S>;
      const { s, d, model } = await setup(t);
      if (caps.watch === true) d.watch();
      await b.mutate(s, [put('/app/db/port', '1111')]);
      applyOps(model, [put('/app/db/port', '1111')]);
      if (caps.watch === true) await d.converged(model);
      else await d.feed.load();

      await outage.break(s);
      if (caps.watch !== true) await assert.rejects(d.feed.load(), (e) => e instanceof BackendError && e.retryable);
      await waitFor(() => d.feed.status().lastError !== undefined && !d.feed.status().connected, { message: 'the feed to report the error' });
      const lastGood = d.expected(model);
      assert.deepEqual(d.tree(), lastGood, 'the last good tree stays');

      await outage.repair(s);
      const after = [put('/app/db/port', '2222'), del('/app/web/title'), put('/app/web/back', 'yes')];
      await b.mutate(s, after);
      applyOps(model, after);
      if (caps.watch !== true) await d.feed.load();
      await d.converged(model, 30_000);
      await waitFor(() => d.feed.status().connected && d.feed.status().lastError === undefined, { message: 'the feed to be connected again' });
      const more = [put('/app/db/port', '3333')];
      await b.mutate(s, more);
      applyOps(model, more);
      if (caps.watch !== true) await d.feed.load();
      await d.converged(model);
    });
  });
}
