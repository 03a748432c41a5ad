/**
 * `watch = true` beside `interval` (the seed config: watch plus interval = 60): the periodic full
 * read races the watch. Against a real etcd, with the read's answer held back at the right moment:
 * - a read that was answered BEFORE a watched change but lands AFTER it must not roll the change
 *   back (it used to: the older snapshot replaced the tree and the stale value was rendered);
 * - a read that lands while a render runs must not change the tree under that render (the tree
 *   is frozen during a render; deltas queued, but a full read used to be applied at once).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import type { Backend, Snapshot } from '../../src/backends/contract.ts';
import { normalizeKey, type KeyPath } from '../../src/tree/keys.ts';
import { startEtcd, v3Client } from '../helpers/etcd.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { startRunner, waitForContents } from './etcd-fixture.ts';

/** A backend whose reads can be held back after etcd answered them. */
class GatedBackend implements Backend {
  readonly name: string;
  readonly kind: Backend['kind'];
  hold = false;
  reads = 0;
  /** Reads etcd answered that are waiting for `release()`. */
  readonly held: Array<{ snap: Snapshot; release: () => void }> = [];

  constructor(private readonly real: Backend) {
    this.name = real.name;
    this.kind = real.kind;
  }

  async getValues(prefixes: readonly KeyPath[], opts?: { readonly signal?: AbortSignal }): Promise<Snapshot> {
    const snap = await this.real.getValues(prefixes, opts);
    if (this.hold) {
      this.hold = false;
      await new Promise<void>((release) => this.held.push({ snap, release }));
    }
    this.reads++;
    return snap;
  }

  watch: NonNullable<Backend['watch']> = (prefixes, onEvent, opts) => this.real.watch!(prefixes, onEvent, opts);

  close(): Promise<void> {
    for (const h of this.held.splice(0)) h.release();
    return this.real.close();
  }
}

test('etcd watch + interval: a full read answered before a watched change never rolls it back', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  await kv.put('/race/k').value('old');
  let gate: GatedBackend | undefined;
  const rendered: string[] = [];
  const live = await startRunner(t, {
    dir: await tempDir(t, 'keyplate-e2e-race'),
    etcdUrl: etcd.clientUrl,
    version: 3,
    keys: ['/race'],
    backendExtra: 'interval = "200ms"',
    wrapBackend: (real) => (gate = new GatedBackend(real)),
    wrap: (inner) => async (spec, tree, opts) => {
      rendered.push(tree.getv('/race/k', '<none>'));
      return inner(spec, tree, opts);
    },
  });
  await waitForContents(live, '/race/k=old\n', 'the first render');
  const g = gate!;
  const tree = live.runner.workers[0].sources[0].tree;

  g.hold = true; // the next interval read: etcd answers (k=old), the answer is held
  await waitFor(() => g.held.length === 1, { message: 'an interval read to be answered and held' });
  assert.equal(g.held[0].snap.values.get(normalizeKey('/race/k')), 'old');
  await kv.put('/race/k').value('new');
  await waitForContents(live, '/race/k=new\n', 'the watched change to be rendered');

  const readsBefore = g.reads;
  g.held[0].release(); // the older answer lands after the newer change
  await waitFor(() => g.reads > readsBefore, { message: 'the held read to complete' });
  await tick();
  assert.equal(tree.getv('/race/k'), 'new', 'the older snapshot did not replace the newer watched value');
  await waitFor(() => g.reads > readsBefore + 1, { message: 'one more interval read' });
  await waitForContents(live, '/race/k=new\n', 'the destination to keep the newer value');
  const firstNew = rendered.indexOf('new');
  assert.deepEqual(rendered.slice(firstNew).filter((v) => v !== 'new'), [], `never rendered back: ${rendered.join(' → ')}`);
});

test('etcd watch + interval: a full read landing during a render does not change the tree under it', async (t) => {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  await kv.put('/race/k').value('v1');
  let gate: GatedBackend | undefined;
  let blockNext = false;
  let unblock: (() => void) | undefined;
  const seen: Array<{ start: string; end: string }> = [];
  const live = await startRunner(t, {
    dir: await tempDir(t, 'keyplate-e2e-race'),
    etcdUrl: etcd.clientUrl,
    version: 3,
    keys: ['/race'],
    backendExtra: 'interval = "200ms"',
    wrapBackend: (real) => (gate = new GatedBackend(real)),
    wrap: (inner) => async (spec, tree, opts) => {
      const start = tree.getv('/race/k', '<none>');
      if (blockNext) {
        blockNext = false;
        await new Promise<void>((resolve) => (unblock = resolve));
      }
      const end = tree.getv('/race/k', '<none>');
      seen.push({ start, end });
      return inner(spec, tree, opts);
    },
  });
  await waitForContents(live, '/race/k=v1\n', 'the first render');
  const g = gate!;

  blockNext = true;
  await kv.put('/race/k').value('v2'); // its render starts and is held mid-way
  await waitFor(() => unblock !== undefined, { message: 'the render of v2 to start' });
  await kv.put('/race/k').value('v3'); // a delta while frozen: queued
  const reads = g.reads;
  await waitFor(() => g.reads > reads + 1, { message: 'interval reads (seeing v3) to complete during the render' });
  await tick();
  unblock!();
  await waitForContents(live, '/race/k=v3\n', 'v3 to be rendered after the held render');
  const held = seen.find((s) => s.start === 'v2');
  assert.deepEqual(held, { start: 'v2', end: 'v2' }, 'the tree did not change while the render ran');
  assert.ok(seen.every((s) => s.start === s.end), JSON.stringify(seen));
});
