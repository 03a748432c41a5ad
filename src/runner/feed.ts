/**
 * One backend as one resource sees it: a prefix-stripped tree kept current by a full read, then by
 * watch deltas (or re-reads when the backend sends none), with the revision it reflects. While a
 * render runs the tree is frozen: deltas and full reads queue and apply right after, so a template
 * never sees a half-applied update. A full read that races the watch (an `interval` beside
 * `watch`) re-applies the deltas that arrived while it was in flight, so it never rolls back a
 * newer change.
 */
import type { Logger } from 'pino';
import type { Backend, KeyChange, Revision, Snapshot, Unwatch, WatchEvent } from '../backends/contract.ts';
import type { BackendSpec } from '../config/types.ts';
import { BackendError, errorMessage } from '../errors.ts';
import { addPrefix, isUnder, stripPrefix, type KeyPath } from '../tree/keys.ts';
import { abortableSleep, untilAborted, backoff, DEFAULT_RETRY, systemClock, type Clock } from '../schedule/schedule.ts';
import { MemoryTree } from '../tree/tree.ts';
import { RepeatGate } from '../schedule/repeat.ts';
import { logBackendError, logBackendRecovered } from './error-log.ts';
import type { FeedStatus } from './feed-status.ts';

/** Deltas delivered by the watch, with the revision of their batch. */
interface Delta { readonly revision?: Revision; readonly changes: readonly KeyChange[] }

/** What waits for the end of a render: deltas, or a full read plus the deltas to re-apply on it. */
type Pending = { readonly changes: readonly KeyChange[] } | { readonly values: ReadonlyMap<KeyPath, string>; readonly replay: readonly KeyChange[] };

/** True when both are numeric revisions and `rev` is not newer than `snapshot` (already in it). */
function coveredBy(rev: Revision | undefined, snapshot: Revision | undefined): boolean {
  if (rev === undefined || snapshot === undefined || !/^\d+$/.test(rev) || !/^\d+$/.test(snapshot)) return false;
  return BigInt(rev) <= BigInt(snapshot);
}

export type { FeedStatus } from './feed-status.ts';

export class Feed {
  readonly tree = new MemoryTree();
  readonly spec: BackendSpec;
  readonly backend: Backend;
  readonly readPrefixes: readonly KeyPath[];
  readonly watchPrefixes: readonly KeyPath[];
  #revision?: Revision;
  #connected = false;
  #lastSyncAt?: number;
  #lastError?: string;
  #frozen = false;
  #lastEventAt?: number;
  #watchStarts = 0;
  #resyncs = 0;
  #queued: Pending[] = [];
  /** One list per full read in flight: the deltas delivered meanwhile. */
  readonly #inFlight = new Set<Delta[]>();
  #needsReload = false;
  #loaded = false;
  readonly #snapshotMarks = new Map<KeyPath, number>();
  #replaced = false;
  #markLoaded!: () => void;
  readonly #firstLoad = new Promise<void>((resolve) => (this.#markLoaded = resolve));
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #errors: RepeatGate;

  constructor(spec: BackendSpec, backend: Backend, logger: Logger, clock: Clock = systemClock) {
    this.spec = spec;
    this.backend = backend;
    this.#logger = logger;
    this.#clock = clock;
    this.#errors = new RepeatGate(clock);
    const keys = spec.keys.length > 0 ? spec.keys : (['/'] as KeyPath[]);
    this.readPrefixes = keys.map((k) => addPrefix(k, spec.prefix));
    const extra = spec.watchKeys.map((k) => addPrefix(k, spec.prefix));
    this.watchPrefixes = [...new Set([...this.readPrefixes, ...extra])];
  }

  get loaded(): boolean { return this.#loaded; }

  /** Resolves after the first successful full read (at once when there was one), or when `signal` aborts. */
  whenLoaded(signal: AbortSignal): Promise<void> {
    if (this.#loaded || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      void this.#firstLoad.then(done);
    });
  }

  /** Full reads that changed what is under read prefix `prefix` (the first counts for all); never moved by watch deltas (guard.ts). */
  snapshotMark(prefix: KeyPath): number {
    return this.#snapshotMarks.get(prefix) ?? 0;
  }

  /** True when a re-read is owed (a change event without deltas arrived, or a resync). */
  get stale(): boolean { return this.#needsReload; }

  /** Owe a full re-read (the next cycle reads everything again). */
  invalidate(): void { this.#needsReload = true; }

  status(): FeedStatus {
    return {
      backend: this.backend.name,
      kind: this.backend.kind,
      revision: this.#revision,
      connected: this.#connected,
      lastSyncAt: this.#lastSyncAt,
      lastError: this.#lastError,
      keys: this.tree.size,
      lastEventAt: this.#lastEventAt,
      resumes: Math.max(0, this.#watchStarts - 1),
      resyncs: this.#resyncs,
    };
  }

  /** Full read. Returns true when the tree changed (false while frozen: it applies on thaw). On error the last good tree stays. */
  async load(signal?: AbortSignal): Promise<boolean> {
    let snap: Snapshot;
    const seen: Delta[] = [];
    this.#inFlight.add(seen);
    try {
      snap = await this.backend.getValues(this.readPrefixes, { signal });
    } catch (e) {
      this.#markError(e);
      throw e instanceof BackendError ? e : new BackendError(this.backend.name, errorMessage(e), { cause: e });
    } finally {
      this.#inFlight.delete(seen);
    }
    this.#needsReload = false;
    this.#loaded = true;
    this.#markLoaded();
    if (!coveredBy(snap.revision, this.#revision)) this.#revision = snap.revision;
    this.#markSynced();
    // Deltas delivered while the read was in flight may be newer than the snapshot.
    const pending: Pending = { values: snap.values, replay: seen.filter((d) => !coveredBy(d.revision, snap.revision)).flatMap((d) => d.changes) };
    if (this.#frozen) {
      this.#queued.push(pending);
      return false;
    }
    return this.#applyPending(pending);
  }

  freeze(): void { this.#frozen = true; }

  /** Apply what queued while frozen; true when the tree changed. */
  thaw(): boolean {
    this.#frozen = false;
    const queued = this.#queued;
    this.#queued = [];
    let changed = false;
    for (const p of queued) changed = this.#applyPending(p) || changed;
    return changed;
  }

  #applyPending(p: Pending): boolean {
    if ('changes' in p) return this.#applyNow(p.changes);
    const replaced = this.#replace(p.values);
    return this.#applyNow(p.replay) || replaced;
  }

  /**
   * Watch from the loaded revision. `onDirty` is called when the tree changed or a trigger key
   * moved; the caller re-reads when `stale` is set. Restarts the watch with backoff when it fails.
   */
  async watch(onDirty: (reason: string) => void, signal: AbortSignal): Promise<void> {
    const watchFn = this.backend.watch?.bind(this.backend);
    if (!watchFn) return;
    let attempt = 0;
    while (!signal.aborted) {
      const ended = new AbortController();
      const stopBoth = () => ended.abort();
      signal.addEventListener('abort', stopBoth, { once: true });
      let unwatch: Unwatch | undefined;
      try {
        unwatch = await watchFn(this.watchPrefixes, (e) => this.#onEvent(e, onDirty, () => ended.abort()), {
          since: this.#revision,
          signal: ended.signal,
        });
        this.#connected = true;
        this.#watchStarts++;
        attempt = 0;
        await untilAborted(ended.signal);
      } catch (e) {
        this.#markError(e);
      } finally {
        signal.removeEventListener('abort', stopBoth);
        await unwatch?.().catch(() => {});
      }
      if (signal.aborted) return;
      const delay = backoff(DEFAULT_RETRY, attempt++) ?? DEFAULT_RETRY.maxMs;
      this.#logger.warn({ event: 'watch-restarting', delayMs: delay }, 'watch ended; restarting');
      await abortableSleep(delay, signal, this.#clock).catch(() => {});
    }
  }

  #onEvent(e: WatchEvent, onDirty: (reason: string) => void, restart: () => void): void {
    this.#lastEventAt = this.#clock.now();
    switch (e.type) {
      case 'change': {
        if (e.revision !== undefined) this.#revision = e.revision;
        this.#markSynced();
        if (!e.changes) {
          this.#needsReload = true;
          onDirty('change');
          return;
        }
        const trigger = e.changes.some((c) => !this.readPrefixes.some((p) => isUnder(c.key, p)));
        const changed = this.#apply(e.changes, e.revision);
        if (changed || trigger) onDirty(trigger ? 'watchKeys trigger' : 'change');
        return;
      }
      case 'resync':
        this.#resyncs++;
        this.#logger.info({ event: 'resync', reason: e.reason }, 'backend history lost; re-reading everything');
        this.#needsReload = true;
        onDirty('resync');
        return;
      case 'error':
        this.#markError(e.error);
        if (!e.willRetry) restart();
        return;
      case 'connected':
        if (!this.#connected) this.#logger.info({ event: 'watch-resumed' }, 'backend connected again');
        this.#markSynced();
        return;
    }
  }

  #apply(changes: readonly KeyChange[], revision: Revision | undefined): boolean {
    const relevant = changes.filter((c) => this.readPrefixes.some((p) => isUnder(c.key, p) || (c.recursive && isUnder(p, c.key))));
    for (const seen of this.#inFlight) seen.push({ revision, changes: relevant });
    if (this.#frozen) {
      this.#queued.push({ changes: relevant });
      return relevant.length > 0;
    }
    return this.#applyNow(relevant);
  }

  #applyNow(changes: readonly KeyChange[]): boolean {
    let changed = false;
    const prefix = this.spec.prefix;
    for (const c of changes) {
      if (!isUnder(c.key, prefix)) continue;
      const key = stripPrefix(c.key, prefix);
      if (c.value === undefined) changed = (c.recursive ? this.tree.deleteTree(key) : this.tree.delete(key)) || changed;
      else changed = this.tree.set(key, c.value) || changed;
    }
    return changed;
  }

  #replace(values: ReadonlyMap<KeyPath, string>): boolean {
    const prefix = this.spec.prefix;
    const first = !this.#replaced;
    this.#replaced = true;
    if (this.tree.size === 0) {
      // First read (or a read into an empty tree): nothing to delete, no intermediate map.
      for (const [k, v] of values) if (isUnder(k, prefix)) this.tree.set(stripPrefix(k, prefix), v);
      this.#markSnapshot(first ? undefined : this.tree.entries().map((p) => p.key));
      return this.tree.size > 0;
    }
    const next = new Map<string, string>();
    for (const [k, v] of values) if (isUnder(k, prefix)) next.set(stripPrefix(k, prefix), v);
    const touched: string[] = [];
    for (const { key } of this.tree.entries()) if (!next.has(key) && this.tree.delete(key)) touched.push(key);
    for (const [k, v] of next) if (this.tree.set(k, v)) touched.push(k);
    this.#markSnapshot(first ? undefined : touched);
    return touched.length > 0;
  }

  /** A snapshot changed these (prefix-stripped) keys; undefined: the first read, every prefix. */
  #markSnapshot(touched: readonly string[] | undefined): void {
    for (const p of this.readPrefixes) {
      const local = isUnder(p, this.spec.prefix) ? stripPrefix(p, this.spec.prefix) : p;
      if (touched === undefined || touched.some((k) => isUnder(k, local))) this.#snapshotMarks.set(p, this.snapshotMark(p) + 1);
    }
  }

  #markSynced(): void {
    this.#lastSyncAt = this.#clock.now();
    this.#connected = true;
    this.#lastError = undefined;
    logBackendRecovered(this.#errors, this.#logger);
  }

  #markError(e: unknown): void {
    // Connected until now (an idle watch delivers no events, yet its data is current): the
    // freshness window of /healthz counts from this disconnect, not from the last event.
    if (this.#connected) this.#lastSyncAt = this.#clock.now();
    this.#connected = false;
    this.#lastError = errorMessage(e);
    logBackendError(this.#errors, this.#logger, this.#lastError);
  }
}
