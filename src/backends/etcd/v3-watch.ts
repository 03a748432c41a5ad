/**
 * etcd v3 watches: one gRPC watch stream per backend, shared by every subscription; one etcd
 * watcher per subscription (client-assigned ids) over the byte range spanning its prefixes,
 * filtered here, so changes arrive in revision order. Each watcher resumes after a disconnect from
 * the last DELIVERED revision + 1 (the etcd3 package's Watcher resumes from the header revision,
 * which can skip events); compaction past it becomes a 'resync'. A create etcd refuses is never
 * dropped (v3-cancel.ts), and a watchdog (v3-watchdog.ts) rebuilds a silent stream.
 */
import type { IEvent, IWatchRequest, IWatchResponse } from 'etcd3';
import type { Logger } from 'pino';
import { BackendError, errorMessage } from '../../errors.ts';
import { isUnder, normalizeKey, type KeyPath } from '../../tree/keys.ts';
import { Retry } from '../../schedule/schedule.ts';
import { safeEmit, toBackendError, type EtcdConnection } from './common.ts';
import { classifyCancel } from './v3-cancel.ts';
import { StreamWatchdog } from './v3-watchdog.ts';
import { endStream, parseSince, spanningRange, type V3ClientSource, type WatchStream } from './v3-stream.ts';
import type { KeyChange, Unwatch, WatchEvent, WatchOptions } from '../contract.ts';

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
  /** Set while etcd refuses this watcher (permission denied, …): the reason, and the retry timer. */
  refused?: string;
  retry?: Retry;
  retryTimer?: NodeJS.Timeout;
}

export class V3WatchHub {
  readonly #targets = new Map<number, Target>();
  readonly #backoff: Retry;
  #nextId = 1;
  #generation = 0;
  #stream?: WatchStream;
  #state: 'idle' | 'connecting' | 'open' = 'idle';
  #timer?: NodeJS.Timeout;
  #closed = false;
  /** Ids of the creates sent on the current stream and not answered yet, oldest first. */
  #pending: number[] = [];
  #watchdog?: StreamWatchdog;
  /** The next connect builds a fresh client first (auth refused, or a silent stream). */
  #renew = false;

  constructor(
    private readonly source: V3ClientSource,
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
      clearTimeout(t.retryTimer);
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
    this.#watchdog?.stop();
    this.#watchdog = undefined;
    for (const t of this.#targets.values()) clearTimeout(t.retryTimer);
    this.#pending = [];
    endStream(this.#stream);
    this.#stream = undefined;
    this.#state = 'idle';
  }

  async #connect(): Promise<void> {
    this.#state = 'connecting';
    const gen = ++this.#generation;
    let stream: WatchStream;
    try {
      if (this.#renew) await this.source.renew();
      this.#renew = false;
      stream = await (await this.source.client()).watchClient.watch();
    } catch (e) {
      if (gen === this.#generation) this.#onDisconnect(e);
      return;
    }
    stream.on('data', (r: IWatchResponse) => {
      if (gen !== this.#generation) return;
      this.#watchdog?.activity();
      this.#onData(r);
    });
    stream.on('error', (e) => gen === this.#generation && this.#onDisconnect(e));
    stream.on('end', () => gen === this.#generation && this.#onDisconnect(new Error('watch stream ended')));
    if (gen !== this.#generation || this.#closed || this.#targets.size === 0) {
      endStream(stream);
      if (gen === this.#generation) this.#state = 'idle';
      return;
    }
    this.#stream = stream;
    this.#state = 'open';
    this.#watchdog = new StreamWatchdog({
      timeoutMs: this.conn.watchdogMs,
      clock: this.conn.clock,
      probe: () => this.#stream?.write({ progress_request: {} }),
      onSilent: (idle) => gen === this.#generation && this.#onSilent(idle),
    });
    this.#watchdog.start();
    for (const t of [...this.#targets.values()]) this.#create(t);
  }

  #onSilent(idleMs: number): void {
    this.#renew = true;
    this.#onDisconnect(new Error(`the watch stream said nothing for ${idleMs} ms, not even to a progress request (watch_watchdog): rebuilding it on a fresh connection`));
  }

  #assignId(t: Target): void {
    this.#targets.delete(t.id);
    t.id = this.#nextId++;
    this.#targets.set(t.id, t);
  }

  #create(t: Target): void {
    clearTimeout(t.retryTimer);
    t.retryTimer = undefined;
    if (this.#state !== 'open') return;
    this.#assignId(t);
    t.created = false;
    this.#pending.push(t.id);
    const { key, end } = t.range;
    const req: IWatchRequest['create_request'] = { key, range_end: end, watch_id: t.id };
    if (t.next !== undefined) req.start_revision = t.next.toString();
    this.#stream?.write({ create_request: req });
  }

  #onData(res: IWatchResponse): void {
    const t = this.#targets.get(res.created ? this.#answered(Number(res.watch_id)) : Number(res.watch_id));
    if (!t || t.sub.closed) return; // a progress report (id -1), or a watcher already gone
    if (res.canceled || (res.compact_revision && res.compact_revision !== '0')) return this.#onCanceled(t, res);
    if (res.created) {
      t.created = true;
      if (t.refused !== undefined) this.logger.info({ event: 'watch-accepted', prefix: t.prefix }, `etcd accepts the watch on ${t.prefix} again`);
      t.refused = undefined;
      t.retry = undefined;
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

  /** The create a `created` response answers: its own id, or (id -1, a refusal) the oldest pending one. */
  #answered(id: number): number {
    const i = id === -1 ? 0 : this.#pending.indexOf(id);
    if (i < 0 || i >= this.#pending.length) return id;
    return this.#pending.splice(i, 1)[0];
  }

  #onCanceled(t: Target, res: IWatchResponse): void {
    const reason = res.cancel_reason || 'no reason given';
    const kind = classifyCancel(res);
    if (kind === 'compacted') return this.#onCompacted(t, BigInt(res.compact_revision || '0'));
    if (kind === 'auth') {
      // The token rides on the stream: a fresh client (new token) and a new stream, with backoff.
      this.logger.info({ event: 'watch-canceled', prefix: t.prefix, reason, action: 'renew-auth' }, 'etcd refused the watch for its auth token; renewing the token');
      this.#renew = true;
      return this.#onDisconnect(new Error(`etcd canceled the watch on ${t.prefix}: ${reason}`));
    }
    t.created = false;
    t.retry ??= new Retry(this.conn.backoff);
    const delay = t.retry.next();
    const error = new BackendError(this.conn.name, `etcd refused the watch on ${t.prefix}: ${reason} (retrying)`, { retryable: true });
    if (t.refused !== reason) {
      this.logger.warn({ event: 'watch-canceled', prefix: t.prefix, reason, action: 'retry' }, `etcd refused the watch on ${t.prefix}; retrying with backoff`);
    }
    t.refused = reason;
    if (!t.sub.inError) {
      t.sub.inError = true;
      this.#emit(t.sub, { type: 'error', error, willRetry: true });
    }
    t.sub.ready?.();
    t.sub.ready = undefined;
    t.retryTimer = setTimeout(() => this.#create(t), delay);
    t.retryTimer.unref?.();
  }

  #onCompacted(t: Target, compactRev: bigint): void {
    const wanted = t.next;
    this.logger.warn({ event: 'watch-compacted', prefix: t.prefix, compactRevision: compactRev.toString() }, 'etcd v3 watch history compacted: resync');
    // etcd has already dropped this watcher; restart it at the oldest revision it still has, so
    // replaying from there over the consumer's fresh read converges.
    // (a "compacted" reason without a revision: resync and watch from now; the re-read covers the gap)
    t.next = compactRev > 0n ? compactRev : undefined;
    this.#emit(t.sub, {
      type: 'resync',
      reason: `etcd v3 history for ${t.prefix} is compacted up to revision ${compactRev} (the watch needed ${wanted ?? 'now'})`,
    });
    this.#create(t);
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
