/**
 * etcd v2 watches: one long-poll loop per subscription (`?wait=true&recursive=true&waitIndex=N`) on
 * the deepest directory above all its prefixes, filtered here (one loop per prefix would deliver
 * their events out of index order, so a resume index could skip another prefix's change), re-armed
 * at the index after the last event it delivered, never "at now" (confd #671). An
 * "event index cleared" answer (errorCode 401) is a 'resync'; a poll that ends empty or hits the
 * client deadline is re-armed at the same index; connection errors are reported once, retried
 * with backoff, and fail over to the next node.
 */
import type { Logger } from 'pino';
import { BackendError, errorMessage } from '../../errors.ts';
import { isUnder, normalizeKey, type KeyPath } from '../../tree/keys.ts';
import { Retry, sleepUnlessAborted } from '../../schedule/schedule.ts';
import { safeEmit, toBackendError, type EtcdConnection } from './common.ts';
import { keysPath, parseBody, v2Error, type V2Body, type V2Http } from './v2-http.ts';
import type { KeyChange, Unwatch, WatchEvent, WatchOptions } from '../contract.ts';

/** etcd v2 answers this when waitIndex fell out of its ~1000-event history. */
const EVENT_INDEX_CLEARED = 401;
const SET_ACTIONS = new Set(['set', 'create', 'update', 'compareAndSwap']);
const DELETE_ACTIONS = new Set(['delete', 'expire', 'compareAndDelete']);

interface Subscription {
  readonly onEvent: (e: WatchEvent) => void;
  readonly ctrl: AbortController;
  /** Prefix loops currently failing; 'error' on 0 → 1, 'connected' on → 0. */
  readonly failing: Set<KeyPath>;
  loops: Promise<void>[];
}

export class V2Watches {
  readonly #subs = new Set<Subscription>();

  constructor(
    private readonly http: V2Http,
    private readonly conn: EtcdConnection,
    private readonly logger: Logger,
  ) {}

  async subscribe(prefixes: readonly KeyPath[], onEvent: (e: WatchEvent) => void, opts: WatchOptions): Promise<Unwatch> {
    const since = parseSince(this.conn.name, opts.since);
    const sub: Subscription = { onEvent, ctrl: new AbortController(), failing: new Set(), loops: [] };
    const unwatch = async () => {
      sub.ctrl.abort();
      this.#subs.delete(sub);
      await Promise.all(sub.loops);
    };
    if (opts.signal?.aborted || prefixes.length === 0) return unwatch;
    opts.signal?.addEventListener('abort', () => void unwatch(), { once: true });
    this.#subs.add(sub);
    const armed = new Promise<void>((ready) => {
      const next = since === undefined ? undefined : since + 1n;
      sub.loops.push(this.#loop(sub, commonDirectory(prefixes), prefixes, next, ready));
    });
    await armed;
    return unwatch;
  }

  async close(): Promise<void> {
    const subs = [...this.#subs];
    this.#subs.clear();
    for (const s of subs) s.ctrl.abort();
    await Promise.all(subs.flatMap((s) => s.loops));
  }

  /** Poll `prefix` (a directory above all of `wanted`), deliver, re-arm, until the subscription is aborted. `ready` fires once armed (or failed). */
  async #loop(sub: Subscription, prefix: KeyPath, wanted: readonly KeyPath[], start: bigint | undefined, ready: () => void): Promise<void> {
    const signal = sub.ctrl.signal;
    const backoff = new Retry(this.conn.backoff);
    let next = start;
    while (!signal.aborted) {
      try {
        const query = `?wait=true&recursive=true${next === undefined ? '' : `&waitIndex=${next}`}`;
        const answer = await this.http.get(keysPath(prefix) + query, {
          signal,
          timeoutMs: this.conn.longPollMs,
          longPoll: true,
          onHeaders: (index, status) => {
            if (status !== 200) return;
            // Armed: from here on nothing is missed, even when we started "at now".
            if (next === undefined && index !== undefined) next = index + 1n;
            this.#recovered(sub, prefix);
            ready();
          },
        });
        backoff.reset();
        if (!answer || answer.text.trim() === '') continue; // deadline or empty body: re-arm at the same index
        next = this.#handle(sub, prefix, wanted, parseBody(this.conn.name, answer, `etcd v2 watch of ${prefix}`), answer.status, next);
      } catch (e) {
        if (signal.aborted) break;
        const fatal = e instanceof BackendError && !e.retryable;
        this.#failed(sub, prefix, e, !fatal);
        ready();
        if (fatal) break;
        await sleepUnlessAborted(backoff.next(), signal);
      }
    }
    ready();
  }

  /** Apply one long-poll answer; returns the next waitIndex. */
  #handle(sub: Subscription, prefix: KeyPath, wanted: readonly KeyPath[], body: V2Body, status: number, next: bigint | undefined): bigint | undefined {
    if (body.errorCode === EVENT_INDEX_CLEARED) {
      const current = body.index !== undefined ? BigInt(body.index) : undefined;
      this.logger.warn({ event: 'watch-compacted', prefix, waitIndex: next?.toString() }, 'etcd v2 event index cleared: resync');
      this.#emit(sub, {
        type: 'resync',
        reason: `etcd v2 no longer has the events from index ${next ?? '?'} on (${body.message ?? 'event index cleared'})`,
      });
      return current === undefined ? undefined : current + 1n;
    }
    if (body.errorCode !== undefined || status !== 200 || !body.node) {
      throw v2Error(this.conn.name, `etcd v2 watch of ${prefix}`, body, status);
    }
    const index = body.node.modifiedIndex !== undefined ? BigInt(body.node.modifiedIndex) : undefined;
    if (index === undefined) throw new BackendError(this.conn.name, `etcd v2 watch of ${prefix}: event without modifiedIndex`);
    if (next !== undefined && index < next) return next; // already delivered
    const changes = wanted.map((p) => toChange(body, p));
    if (changes.includes('unknown')) {
      this.#emit(sub, { type: 'resync', reason: `etcd v2 sent an unknown action "${body.action}"` });
    } else {
      const real = changes.filter((c): c is KeyChange => c !== null && c !== 'unknown');
      const unique = real.filter((c, i) => real.findIndex((d) => d.key === c.key) === i);
      if (unique.length > 0) this.#emit(sub, { type: 'change', revision: index.toString(), changes: unique });
    }
    return index + 1n;
  }

  #failed(sub: Subscription, prefix: KeyPath, e: unknown, willRetry: boolean): void {
    const first = sub.failing.size === 0;
    sub.failing.add(prefix);
    if (!first && willRetry) return;
    this.logger.warn({ event: 'watch-failed', prefix, err: errorMessage(e) }, willRetry ? 'etcd v2 watch failed; retrying' : 'etcd v2 watch failed; giving up');
    this.#emit(sub, { type: 'error', error: toBackendError(this.conn.name, `etcd v2 watch of ${prefix}`, e), willRetry });
  }

  #recovered(sub: Subscription, prefix: KeyPath): void {
    if (!sub.failing.delete(prefix) || sub.failing.size > 0) return;
    this.logger.info({ event: 'watch-reconnected', prefix }, 'etcd v2 watch reconnected');
    this.#emit(sub, { type: 'connected' });
  }

  #emit(sub: Subscription, e: WatchEvent): void {
    if (sub.ctrl.signal.aborted) return;
    safeEmit(sub.onEvent, e, (err) => this.logger.error({ err: errorMessage(err) }, 'etcd watch consumer threw'));
  }
}

/** The KeyChange for one v2 event under `prefix`; null when it touches nothing there (or only a directory). */
export function toChange(body: V2Body, prefix: KeyPath): KeyChange | null | 'unknown' {
  const node = body.node!;
  if (node.key === undefined) return null;
  const key = normalizeKey(node.key);
  const action = body.action ?? '';
  if (SET_ACTIONS.has(action)) {
    if (node.dir || !isUnder(key, prefix)) return null;
    return { key, value: node.value ?? '' };
  }
  if (DELETE_ACTIONS.has(action)) {
    // A directory above the watched prefix was removed: everything under the prefix is gone.
    if (node.dir && isUnder(prefix, key)) return { key: prefix, recursive: true };
    if (!isUnder(key, prefix)) return null;
    return node.dir ? { key, recursive: true } : { key };
  }
  return 'unknown';
}

/** The deepest directory containing every prefix (segment-wise: `/app/db` and `/app/web` → `/app`). */
export function commonDirectory(prefixes: readonly KeyPath[]): KeyPath {
  const split = prefixes.map((p) => p.split('/').filter(Boolean));
  const first = split[0];
  let n = 0;
  while (n < first.length && split.every((s) => s[n] === first[n])) n++;
  return normalizeKey(`/${first.slice(0, n).join('/')}`);
}

function parseSince(backend: string, since: string | undefined): bigint | undefined {
  if (since === undefined) return undefined;
  if (!/^\d+$/.test(since)) {
    throw new BackendError(backend, `etcd v2 watch: "since" must be an etcd index, got "${since}"`, { retryable: false });
  }
  return BigInt(since);
}
