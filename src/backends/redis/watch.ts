/**
 * The redis watch: keyspace notifications (`PSUBSCRIBE __keyspace@<db>__:<prefix>*`) on a
 * connection of its own. A notification names a key and an event, not the value, so each notified
 * key is read again (one at a time, in arrival order) and its current value sent as a delta: a
 * burst may skip intermediate values, never the final one. A hash key changes into "re-read".
 *
 * What pub/sub cannot give, and how it is covered:
 * - notifications sent while the connection is down are lost: on reconnect the watch sends
 *   `resync` (the consumer re-reads everything);
 * - changes between the consumer's read and the subscription: after subscribing, a read is
 *   compared with `since` (a content hash) and a change is sent when they differ;
 * - changes Redis does not notify per key (FLUSHDB, FLUSHALL, SWAPDB, a replica resync, a restore
 *   from disk while we stay connected to another node): only a full read sees them; set
 *   `interval` on the backend to have one regularly.
 */
import type { Logger } from 'pino';
import { BackendError, errorMessage } from '../../errors.ts';
import { abortableSleep, untilAborted, backoff, DEFAULT_RETRY } from '../../schedule/schedule.ts';
import { isUnder, type KeyPath } from '../../tree/keys.ts';
import type { Revision, Snapshot, Unwatch, WatchEvent } from '../contract.ts';
import type { RedisConnection } from './client.ts';
import { fromRedisKey, globLiteral, prefixPatterns, type RedisOptions } from './options.ts';
import { outermost, type KeyRead } from './read.ts';

export interface RedisWatchDeps {
  readonly name: string;
  readonly options: RedisOptions;
  readonly logger: Logger;
  /** A new connection for the subscription. */
  connect(): Promise<RedisConnection>;
  read(prefixes: readonly KeyPath[]): Promise<Snapshot>;
  readKey(name: string): Promise<KeyRead>;
  /** Hash keys seen by reads: a change to one makes the consumer re-read. */
  readonly hashes: Set<string>;
}

/** Keyspace notification classes the watch needs: K (keyspace), g, $, h, x; "A" covers g$lshzxe. */
export function missingNotifyFlags(config: string): string | undefined {
  const need = config.includes('A') ? ['K'] : ['K', 'g', '$', 'h', 'x'];
  const missing = need.filter((f) => !config.includes(f));
  return missing.length > 0 ? missing.join('') : undefined;
}

export async function watchRedis(deps: RedisWatchDeps, prefixes: readonly KeyPath[], onEvent: (e: WatchEvent) => void, since: Revision | undefined, signal?: AbortSignal): Promise<Unwatch> {
  const stop = new AbortController();
  const done = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const watch = new RedisWatch(deps, outermost(prefixes), onEvent, done);
  await watch.subscribe(); // the first attempt's failure is the caller's (it retries with backoff)
  if (since !== undefined) {
    const now = await deps.read(prefixes).then((s) => s.revision, () => undefined);
    if (now !== since) watch.emit({ type: 'change' });
  }
  const loop = watch.run();
  return async () => {
    stop.abort();
    await loop;
  };
}

class RedisWatch {
  #conn?: RedisConnection;
  readonly #pending = new Set<string>();
  #draining?: Promise<void>;
  readonly #channel: string;

  constructor(
    readonly deps: RedisWatchDeps,
    readonly prefixes: readonly KeyPath[],
    readonly onEvent: (e: WatchEvent) => void,
    readonly signal: AbortSignal,
  ) {
    this.#channel = `__keyspace@${deps.options.database}__:`;
  }

  emit(e: WatchEvent): void {
    if (this.signal.aborted) return;
    try {
      this.onEvent(e);
    } catch (err) {
      this.deps.logger.error({ err: errorMessage(err) }, 'redis watch: event handler threw');
    }
  }

  async subscribe(): Promise<void> {
    const conn = await this.deps.connect();
    try {
      await this.#checkNotifications(conn);
      const patterns = this.prefixes.flatMap((p) => {
        const { exact, below } = prefixPatterns(p, this.deps.options.separator);
        return [...(exact !== undefined ? [this.#channel + globLiteral(exact)] : []), this.#channel + below];
      });
      await conn.pSubscribe(patterns, (_event, channel) => this.#notified(channel.slice(this.#channel.length)));
    } catch (e) {
      await conn.close();
      throw e instanceof BackendError ? e : new BackendError(this.deps.name, `redis watch: ${errorMessage(e)}`, { cause: e });
    }
    this.#conn = conn;
  }

  /** Until aborted: when the subscription is lost, report it, reconnect with backoff, resync. */
  async run(): Promise<void> {
    const onAbort = () => void this.#conn?.close();
    this.signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!this.signal.aborted) {
        const err = await Promise.race([this.#conn!.ended, untilAborted(this.signal).then(() => undefined)]);
        if (this.signal.aborted) break;
        this.emit({ type: 'error', error: new BackendError(this.deps.name, `redis watch: connection lost${err ? `: ${errorMessage(err)}` : ''}`, { cause: err }), willRetry: true });
        for (let attempt = 0; !this.signal.aborted; attempt++) {
          await abortableSleep(backoff(DEFAULT_RETRY, attempt) ?? DEFAULT_RETRY.maxMs, this.signal).catch(() => {});
          if (this.signal.aborted) break;
          try {
            await this.subscribe();
            this.emit({ type: 'connected' });
            this.emit({ type: 'resync', reason: 'redis: keyspace notifications sent while the watch was disconnected are lost' });
            break;
          } catch (e) {
            this.emit({ type: 'error', error: e as BackendError, willRetry: true });
          }
        }
      }
    } finally {
      this.signal.removeEventListener('abort', onAbort);
      await this.#conn?.close();
      await this.#draining;
    }
  }

  async #checkNotifications(conn: RedisConnection): Promise<void> {
    let config: string;
    try {
      const reply = await conn.command(['CONFIG', 'GET', 'notify-keyspace-events']);
      // [name, value] (RESP2) or { name: value } (a map, as this client returns it)
      config = String((Array.isArray(reply) ? reply[1] : (reply as Record<string, unknown>)['notify-keyspace-events']) ?? '');
    } catch (e) {
      this.deps.logger.warn({ err: errorMessage(e) }, 'redis: cannot read notify-keyspace-events (CONFIG GET refused); assuming keyspace notifications are on');
      return;
    }
    const missing = missingNotifyFlags(config);
    if (missing === undefined) return;
    throw new BackendError(
      this.deps.name,
      `redis: keyspace notifications are off (notify-keyspace-events is "${config}", missing "${missing}"), so changes cannot be watched. ` +
        'Enable them with `CONFIG SET notify-keyspace-events KA` (or `notify-keyspace-events KA` in redis.conf), or set `watch = false` and `interval` on this backend to poll instead',
      { retryable: false },
    );
  }

  #notified(name: string): void {
    const key = fromRedisKey(name, this.deps.options.separator);
    if (!this.prefixes.some((p) => isUnder(key, p) || isUnder(p, key))) return;
    this.#pending.add(name);
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
  }

  /** Read each notified key again, in order, and send what it holds now. */
  async #drain(): Promise<void> {
    for (const name of this.#pending) {
      this.#pending.delete(name);
      if (this.signal.aborted) return;
      const key = fromRedisKey(name, this.deps.options.separator);
      let r: KeyRead;
      try {
        r = await this.deps.readKey(name);
      } catch (e) {
        this.deps.logger.debug({ err: errorMessage(e) }, 'redis watch: cannot read a notified key; asking for a re-read');
        this.emit({ type: 'change' });
        continue;
      }
      if (r.type === 'hash' || this.deps.hashes.has(name)) {
        if (r.type !== 'hash') this.deps.hashes.delete(name);
        this.emit({ type: 'change' });
      } else if (r.type === 'string') {
        if (this.prefixes.some((p) => isUnder(key, p))) this.emit({ type: 'change', changes: [{ key, value: r.value }] });
      } else if (this.prefixes.some((p) => isUnder(key, p))) {
        this.emit({ type: 'change', changes: [{ key }] });
      }
    }
  }
}
