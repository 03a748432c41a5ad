/**
 * What the conformance suite drives: the real runner feed (src/runner/feed.ts) over a backend
 * wrapped in a recorder that counts full reads and records every watch event. The driver reacts to
 * the feed as the resource loop does: a `stale` feed is re-read, and a failed read is retried
 * until it succeeds (the last good tree stays meanwhile). Also the key model the suite checks
 * against, and the shapes file-like stores need (a flat model back to nested data).
 */
import { isUnder, normalizeKey, stripPrefix, type KeyPath } from '../../src/tree/keys.ts';
import type { Backend, KeyChange, WatchEvent } from '../../src/backends/contract.ts';
import type { BackendSpec } from '../../src/config/types.ts';
import { Feed } from '../../src/runner/feed.ts';
import { abortableSleep } from '../../src/schedule/schedule.ts';
import { silentLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';

/** One mutation: a put (`value` set) or a delete (`value` undefined). */
export interface Op {
  readonly key: string;
  readonly value?: string;
}

export const put = (key: string, value: string): Op => ({ key, value });
export const del = (key: string): Op => ({ key });

/** Apply ops to a flat model of the store, in order. */
export function applyOps(model: Map<string, string>, ops: readonly Op[]): Map<string, string> {
  for (const op of ops) {
    if (op.value === undefined) model.delete(normalizeKey(op.key));
    else model.set(normalizeKey(op.key), op.value);
  }
  return model;
}

/** The flat model as nested objects (`/a/b = x` → `{ a: { b: 'x' } }`), for file-like stores. */
export function nest(model: ReadonlyMap<string, string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of [...model].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const segs = key.split('/').filter(Boolean);
    let node = root;
    for (const s of segs.slice(0, -1)) {
      const next = node[s];
      if (typeof next !== 'object' || next === null) node[s] = {};
      node = node[s] as Record<string, unknown>;
    }
    node[segs.at(-1)!] = value;
  }
  return root;
}

/** A backend that records full reads and watch events, then hands them on unchanged. */
export class Recorder {
  reads = 0;
  readonly events: WatchEvent[] = [];
  readonly watchSince: Array<string | undefined> = [];
  readonly backend: Backend;

  constructor(inner: Backend) {
    const base: Backend = {
      name: inner.name,
      kind: inner.kind,
      getValues: (prefixes, opts) => {
        this.reads++;
        return inner.getValues(prefixes, opts);
      },
      close: () => inner.close(),
    };
    this.backend = inner.watch
      ? {
          ...base,
          watch: (prefixes, onEvent, opts) => {
            this.watchSince.push(opts?.since);
            return inner.watch!(prefixes, (e) => (this.events.push(e), onEvent(e)), opts);
          },
        }
      : base;
  }

  /** Every delta delivered since event index `from`, in delivery order. */
  deltas(from = 0): KeyChange[] {
    return this.events.slice(from).flatMap((e) => (e.type === 'change' ? (e.changes ?? []) : []));
  }
}

export function feedSpec(prefix: string, keys: readonly string[]): BackendSpec {
  return {
    kind: 'memory',
    name: 'conformance',
    prefix: normalizeKey(prefix),
    keys: keys.map(normalizeKey),
    watchKeys: [],
    watch: true,
    onetime: false,
    options: {},
    origin: { file: 'conformance' },
  };
}

/** The real feed over a recorded backend, with the resource loop's reactions to it. */
export class FeedDriver {
  readonly recorder: Recorder;
  readonly feed: Feed;
  readonly readErrors: unknown[] = [];
  readonly #stop = new AbortController();
  #watching?: Promise<void>;
  #reloading?: Promise<void>;

  constructor(backend: Backend, spec: BackendSpec) {
    this.recorder = new Recorder(backend);
    this.feed = new Feed(spec, this.recorder.backend, silentLogger());
  }

  /** The tree as the template sees it (prefix-stripped). */
  tree(): Map<string, string> {
    return this.feed.tree.toMap();
  }

  /** What the tree must be for a flat store model: the read prefixes, stripped. */
  expected(model: ReadonlyMap<string, string>): Map<string, string> {
    const out = new Map<string, string>();
    for (const [k, v] of model) {
      if (this.feed.readPrefixes.some((p) => isUnder(k, p))) out.set(stripPrefix(k, this.feed.spec.prefix), v);
    }
    return out;
  }

  /** Start watching (the feed resumes from the revision of its last read). */
  watch(): void {
    this.#watching = this.feed.watch(() => this.#reloadIfStale(), this.#stop.signal);
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#watching;
    await this.#reloading;
  }

  /** Wait until the tree equals `model`; on timeout say what differs. */
  async converged(model: ReadonlyMap<string, string>, timeoutMs = 15_000): Promise<void> {
    const want = this.expected(model);
    await waitFor(() => sameMap(this.tree(), want), { timeoutMs, message: 'the feed tree to equal the store' }).catch((e: Error) => {
      throw new Error(`${e.message}; diff: ${diffMaps(this.tree(), want)}; events: ${this.recorder.events.map((x) => x.type).join(',')}`);
    });
  }

  /** Like the resource loop: a stale feed is re-read, a failed read retried until it succeeds. */
  #reloadIfStale(): void {
    if (this.#reloading || !this.feed.stale) return;
    this.#reloading = (async () => {
      for (let attempt = 0; this.feed.stale && !this.#stop.signal.aborted; attempt++) {
        try {
          await this.feed.load(this.#stop.signal);
        } catch (e) {
          this.readErrors.push(e);
          await abortableSleep(Math.min(50 * 2 ** attempt, 500), this.#stop.signal).catch(() => {});
        }
      }
    })().finally(() => {
      this.#reloading = undefined;
      if (this.feed.stale && !this.#stop.signal.aborted) this.#reloadIfStale();
    });
  }
}

export function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

export function diffMaps(got: ReadonlyMap<string, string>, want: ReadonlyMap<string, string>): string {
  const out: string[] = [];
  for (const [k, v] of got) if (want.get(k) !== v) out.push(`${k}: ${JSON.stringify(v)} (want ${JSON.stringify(want.get(k) ?? '<absent>')})`);
  for (const [k, v] of want) if (!got.has(k)) out.push(`${k}: <absent> (want ${JSON.stringify(v)})`);
  return out.slice(0, 10).join('; ') || 'none';
}

/** Keys of `ops` a watch of `prefixes` must deliver, as the deltas it must deliver them as. */
export function expectedDeltas(ops: readonly Op[], prefixes: readonly KeyPath[]): Array<{ key: string; value?: string }> {
  return ops
    .filter((op) => prefixes.some((p) => isUnder(normalizeKey(op.key), p)))
    .map((op) => (op.value === undefined ? { key: normalizeKey(op.key) } : { key: normalizeKey(op.key), value: op.value }));
}
