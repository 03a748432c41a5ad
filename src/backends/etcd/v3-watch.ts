/**
 * etcd v3 watches: one gRPC watch stream per backend, shared by every subscription, carrying one
 * etcd watcher per subscription (client-assigned watch ids) over the byte range that spans all its
 * prefixes, filtered here: one watcher delivers in revision order, where one per prefix would
 * interleave their catch-up events and let a resume revision skip a change of another prefix. Each watcher tracks the next revision it
 * needs, so after a disconnect it resumes from the last DELIVERED revision + 1: nothing lost,
 * nothing applied twice. Compaction past that revision becomes a 'resync' and the watcher
 * restarts at the oldest revision etcd still has. We drive the raw stream ourselves because the
 * etcd3 package's Watcher resumes from the stream header revision, which can skip events while
 * it is still catching up.
 */
import type { Etcd3, IDuplexStream, IEvent, IWatchRequest, IWatchResponse } from 'etcd3';
import type { Logger } from 'pino';
import { BackendError, errorMessage } from '../../errors.ts';
import { isUnder, normalizeKey, type KeyPath } from '../../tree/keys.ts';
import { Retry } from '../../schedule/schedule.ts';
import { prefixRange, safeEmit, toBackendError, type EtcdConnection } from './common.ts';
import type { KeyChange, Unwatch, WatchEvent, WatchOptions } from '../contract.ts';

type Stream = IDuplexStream<IWatchRequest, IWatchResponse>;

interface Subscription {
  readonly onEvent: (e: WatchEvent) => void;
  readonly targets: Target[];
  inError: boolean;
  closed: boolean;
  /** Resolves the pending `watch()` call: first creation, first error, or unwatch. */
  ready?: () => void;
}

interface Target {
  /** Watch id on the current stream (fresh for every create request). */
  id: number;
  /** What the subscription wants; events in the range outside these are dropped. */
  readonly prefixes: readonly KeyPath[];
  /** The byte range spanning every prefix. */
  readonly range: { readonly key: Buffer; readonly end: Buffer };
  /** For messages. */
  readonly prefix: string;
  /** Next revision this watcher needs; undefined = "now", fixed by the create response. */
  next?: bigint;
  created: boolean;
  readonly sub: Subscription;
}

export class V3WatchHub {
  readonly #targets = new Map<number, Target>();
  readonly #backoff: Retry;
  #nextId = 1;
  #generation = 0;
  #stream?: Stream;
  #state: 'idle' | 'connecting' | 'open' = 'idle';
  #timer?: NodeJS.Timeout;
  #closed = false;

  constructor(
    private readonly client: Etcd3,
    private readonly conn: EtcdConnection,
    private readonly logger: Logger,
  ) {
    this.#backoff = new Retry(conn.backoff);
  }

  async subscribe(prefixes: readonly KeyPath[], onEvent: (e: WatchEvent) => void, opts: WatchOptions): Promise<Unwatch> {
    const since = parseSince(this.conn.name, opts.since);
    const sub: Subscription = { onEvent, targets: [], inError: false, closed: false };
    const unwatch = async () => this.#unsubscribe(sub);
    if (opts.signal?.aborted || this.#closed || prefixes.length === 0) return unwatch;
    const ready = new Promise<void>((resolve) => (sub.ready = resolve));
    const t: Target = { id: 0, prefixes, range: spanningRange(prefixes), prefix: prefixes.join(', '), next: since === undefined ? undefined : since + 1n, created: false, sub };
    sub.targets.push(t);
    this.#assignId(t);
    opts.signal?.addEventListener('abort', () => void unwatch(), { once: true });
    if (this.#state === 'open') for (const t of sub.targets) this.#create(t);
    else if (this.#state === 'idle' && !this.#timer) void this.#connect();
    await ready;
    return unwatch;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const subs = new Set([...this.#targets.values()].map((t) => t.sub));
    for (const s of subs) this.#unsubscribe(s);
    this.#teardown();
  }

  #unsubscribe(sub: Subscription): void {
    if (sub.closed) return;
    sub.closed = true;
    for (const t of sub.targets) {
      this.#targets.delete(t.id);
      if (this.#state === 'open' && t.created) this.#stream?.write({ cancel_request: { watch_id: t.id } });
    }
    sub.ready?.();
    if (this.#targets.size === 0) this.#teardown();
  }

  /** Stop the stream and any reconnect timer; stale stream callbacks are ignored by generation. */
  #teardown(): void {
    this.#generation++;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    endStream(this.#stream);
    this.#stream = undefined;
    this.#state = 'idle';
  }

  async #connect(): Promise<void> {
    this.#state = 'connecting';
    const gen = ++this.#generation;
    let stream: Stream;
    try {
      stream = await this.client.watchClient.watch();
    } catch (e) {
      if (gen === this.#generation) this.#onDisconnect(e);
      return;
    }
    stream.on('data', (r) => gen === this.#generation && this.#onData(r));
    stream.on('error', (e) => gen === this.#generation && this.#onDisconnect(e));
    stream.on('end', () => gen === this.#generation && this.#onDisconnect(new Error('watch stream ended')));
    if (gen !== this.#generation || this.#closed || this.#targets.size === 0) {
      endStream(stream);
      if (gen === this.#generation) this.#state = 'idle';
      return;
    }
    this.#stream = stream;
    this.#state = 'open';
    for (const t of [...this.#targets.values()]) this.#create(t);
  }

  #assignId(t: Target): void {
    this.#targets.delete(t.id);
    t.id = this.#nextId++;
    this.#targets.set(t.id, t);
  }

  #create(t: Target): void {
    this.#assignId(t);
    t.created = false;
    const { key, end } = t.range;
    const req: IWatchRequest['create_request'] = { key, range_end: end, watch_id: t.id };
    if (t.next !== undefined) req.start_revision = t.next.toString();
    this.#stream?.write({ create_request: req });
  }

  #onData(res: IWatchResponse): void {
    const t = this.#targets.get(Number(res.watch_id));
    if (!t || t.sub.closed) return;
    if (res.compact_revision && res.compact_revision !== '0') return this.#onCompacted(t, BigInt(res.compact_revision));
    if (res.canceled) return this.#onDisconnect(new Error(`etcd canceled the watch on ${t.prefix}: ${res.cancel_reason || 'no reason given'}`));
    if (res.created) {
      t.created = true;
      if (t.next === undefined) t.next = BigInt(res.header.revision) + 1n;
      this.#backoff.reset();
      this.#checkReady(t.sub);
    }
    if (res.events.length > 0) this.#deliver(t, res.events);
  }

  #deliver(t: Target, events: readonly IEvent[]): void {
    const changes: KeyChange[] = [];
    let last: bigint | undefined;
    for (const ev of events) {
      const rev = BigInt(ev.kv.mod_revision);
      if (t.next !== undefined && rev < t.next) continue; // already delivered before a reconnect
      last = rev;
      const key = normalizeKey(ev.kv.key.toString());
      if (!t.prefixes.some((p) => isUnder(key, p))) continue; // a sibling such as `/app-x`, or a key between two prefixes
      changes.push(ev.type === 'Delete' ? { key } : { key, value: ev.kv.value.toString() });
    }
    if (last === undefined) return;
    t.next = last + 1n;
    if (changes.length > 0) this.#emit(t.sub, { type: 'change', revision: last.toString(), changes });
  }

  #onCompacted(t: Target, compactRev: bigint): void {
    const wanted = t.next;
    this.logger.warn({ event: 'watch-compacted', prefix: t.prefix, compactRevision: compactRev.toString() }, 'etcd v3 watch history compacted: resync');
    // etcd has already dropped this watcher; restart it at the oldest revision it still has, so
    // replaying from there over the consumer's fresh read converges.
    t.next = compactRev;
    this.#emit(t.sub, {
      type: 'resync',
      reason: `etcd v3 history for ${t.prefix} is compacted up to revision ${compactRev} (the watch needed ${wanted ?? 'now'})`,
    });
    if (this.#state === 'open') this.#create(t);
  }

  #checkReady(sub: Subscription): void {
    if (!sub.targets.every((t) => t.created)) return;
    if (sub.inError) {
      sub.inError = false;
      this.#emit(sub, { type: 'connected' });
    }
    sub.ready?.();
    sub.ready = undefined;
  }

  #onDisconnect(cause: unknown): void {
    if (this.#closed) return;
    const firstFailure = [...this.#targets.values()].some((t) => !t.sub.inError);
    this.#teardown();
    const error = toBackendError(this.conn.name, 'etcd v3 watch disconnected', cause);
    const log = { err: errorMessage(cause) };
    if (firstFailure) this.logger.warn({ event: 'watch-failed', ...log }, 'etcd v3 watch lost its connection; reconnecting');
    else this.logger.debug(log, 'etcd v3 watch reconnect attempt failed');
    for (const t of this.#targets.values()) {
      t.created = false;
      if (t.sub.inError) continue;
      t.sub.inError = true;
      this.#emit(t.sub, { type: 'error', error, willRetry: true });
      t.sub.ready?.();
      t.sub.ready = undefined;
    }
    if (this.#targets.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#connect();
    }, this.#backoff.next());
  }

  #emit(sub: Subscription, e: WatchEvent): void {
    if (sub.closed) return;
    safeEmit(sub.onEvent, e, (err) => this.logger.error({ err: errorMessage(err) }, 'etcd watch consumer threw'));
  }
}

/** The smallest byte range covering every prefix's range (an empty end means "to the last key"). */
export function spanningRange(prefixes: readonly KeyPath[]): { key: Buffer; end: Buffer } {
  const ranges = prefixes.map(prefixRange);
  let { key, end } = ranges[0];
  for (const r of ranges.slice(1)) {
    if (Buffer.compare(r.key, key) < 0) key = r.key;
    if (isToEnd(end) || isToEnd(r.end)) end = Buffer.from([0]);
    else if (Buffer.compare(r.end, end) > 0) end = r.end;
  }
  return { key, end };
}

/** etcd's range_end "\0": every key from `key` on. */
const isToEnd = (end: Buffer) => end.length === 1 && end[0] === 0;

function parseSince(backend: string, since: string | undefined): bigint | undefined {
  if (since === undefined) return undefined;
  if (!/^\d+$/.test(since)) {
    throw new BackendError(backend, `etcd v3 watch: "since" must be a revision number, got "${since}"`, { retryable: false });
  }
  return BigInt(since);
}

/** Half-close first: etcd3's own error hook only marks the host failed while the stream is writable. */
function endStream(stream: Stream | undefined): void {
  if (!stream) return;
  try {
    stream.end();
    stream.cancel();
  } catch {
    // already closed
  }
}
