/**
 * Pieces shared by the etcd v2 and v3 clients: the internal API both implement, prefix
 * collapsing, node URL normalization, reconnect backoff and abortable waits.
 */
import { BackendError } from '../../errors.ts';
import type { Clock, RetryPolicy } from '../../schedule/schedule.ts';
import { isUnder, normalizeKey, ROOT, type KeyPath } from '../../tree/keys.ts';
import type { Snapshot, Unwatch, WatchEvent, WatchOptions } from '../contract.ts';

/** What one etcd API (v2 keys or v3 KV) offers the `etcd` backend. */
export interface EtcdApi {
  readonly version: 2 | 3;
  getValues(prefixes: readonly KeyPath[], signal?: AbortSignal): Promise<Snapshot>;
  /** How many keys lie under the prefixes (the `version = "auto"` probe). */
  countKeys(prefixes: readonly KeyPath[], signal?: AbortSignal): Promise<number>;
  watch(prefixes: readonly KeyPath[], onEvent: (e: WatchEvent) => void, opts?: WatchOptions): Promise<Unwatch>;
  close(): Promise<void>;
}

/** Normalized connection settings handed to either API client. */
export interface EtcdConnection {
  /** Backend instance name, for errors. */
  readonly name: string;
  /** Full URLs (`http://host:port`), in the configured order. */
  readonly nodes: readonly string[];
  readonly username?: string;
  readonly password?: string;
  /** PEM contents, already read from the configured files. */
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
  readonly requestTimeoutMs: number;
  /** Client-side cap on one v2 long-poll; it is re-armed at the same index afterwards. */
  readonly longPollMs: number;
  /** v3: a watch stream silent this long (a progress request included) is rebuilt on a fresh client. */
  readonly watchdogMs: number;
  readonly backoff: RetryPolicy;
  readonly clock: Clock;
}

/** Reconnect backoff of the watches: 100 ms doubling up to 5 s, with jitter. */
export const DEFAULT_BACKOFF: RetryPolicy = { attempts: 0, baseMs: 100, maxMs: 5_000, jitter: true };

/** Drop duplicates and prefixes nested in another one (`/a/b` is covered by `/a`), so no change is delivered twice. */
export function collapsePrefixes(prefixes: readonly string[]): KeyPath[] {
  const sorted = [...new Set(prefixes.map(normalizeKey))].sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  const out: KeyPath[] = [];
  for (const p of sorted) if (!out.some((q) => isUnder(p, q))) out.push(p);
  return out;
}

/** `host:port` → `http://host:port` (`https` when TLS is configured); trailing `/` removed. */
export function normalizeNodeUrl(node: string, tls: boolean): string {
  const trimmed = node.trim().replace(/\/+$/, '');
  if (/^https?:\/\//i.test(trimmed)) return trimmed;
  return `${tls ? 'https' : 'http'}://${trimmed}`;
}

/** Reject with a BackendError as soon as `signal` aborts; the underlying work is bounded by its own deadline. */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, backend: string, what: string): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortError(backend, what, signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(backend, what, signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * `work` bounded by a deadline of `ms` (and by `signal`): it rejects with a BackendError that says
 * "no answer within …" when the deadline passes first. The etcd3 client retries a failed attempt
 * on its own (and fails over to another node), each attempt bounded by `request_timeout`; this
 * caps the whole call, so a blackholed endpoint cannot multiply the wait.
 */
export function withDeadline<T>(
  work: Promise<T>,
  o: { readonly ms: number; readonly clock: Clock; readonly signal?: AbortSignal; readonly backend: string; readonly what: string },
): Promise<T> {
  const ac = new AbortController();
  const timer = o.clock.setTimeout(() => ac.abort(new Error(`no answer within ${o.ms} ms`)), o.ms);
  const onAbort = () => ac.abort(o.signal?.reason);
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });
  return abortable(work, ac.signal, o.backend, o.what)
    .catch((e: unknown) => {
      if (ac.signal.aborted && !o.signal?.aborted) throw new BackendError(o.backend, `${o.what}: no answer within ${o.ms} ms (request_timeout)`, { cause: e, retryable: true });
      throw e;
    })
    .finally(() => {
      o.clock.clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    });
}

export function abortError(backend: string, what: string, signal: AbortSignal): BackendError {
  return new BackendError(backend, `${what}: aborted`, { cause: signal.reason, retryable: false });
}

/** Wrap anything thrown by a client into a BackendError that names the operation. */
export function toBackendError(backend: string, what: string, e: unknown, retryable = true): BackendError {
  if (e instanceof BackendError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new BackendError(backend, `${what}: ${msg}`, { cause: e, retryable });
}

/** Ensure `onEvent` exceptions never break a watch loop. */
export function safeEmit(onEvent: (e: WatchEvent) => void, e: WatchEvent, onThrow: (err: unknown) => void): void {
  try {
    onEvent(e);
  } catch (err) {
    onThrow(err);
  }
}

/** The byte range covering `prefix` itself and everything below it. `/app` → [`/app`, `/app0`):
 *  `0` follows `/`, so the range holds `/app`, `/app/...` and only a few siblings such as `/app-x`,
 *  which `isUnder` then filters out. The root covers the whole keyspace. */
export function prefixRange(prefix: KeyPath): { key: Buffer; end: Buffer } {
  if (prefix === ROOT) return { key: Buffer.from([0]), end: Buffer.from([0]) };
  return { key: Buffer.from(prefix), end: Buffer.from(`${prefix}0`) };
}
