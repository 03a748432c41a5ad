/**
 * The `redis` backend kind: keys as paths (remco/confd layout), strings and hashes, read with SCAN
 * and an atomic Lua read per batch (read.ts), watched with keyspace notifications (watch.ts).
 * The revision is a content hash: Redis has no global revision to resume from. See docs/redis.md.
 */
import { BackendError, errorMessage } from '../../errors.ts';
import { OpenWatches } from '../open-watches.ts';
import type { KeyPath } from '../../tree/keys.ts';
import { contentRevision } from '../revision.ts';
import type { Backend, BackendContext, BackendDefinition, Snapshot, Unwatch, WatchEvent, WatchOptions } from '../contract.ts';
import { connectRedis, type RedisConnection } from './client.ts';
import { finishRedisOptions, REDIS_OPTIONS, type RedisOptions } from './options.ts';
import { readKeys, scanNames, toValues, type KeyRead } from './read.ts';
import { watchRedis } from './watch.ts';

export class RedisBackend implements Backend {
  readonly kind = 'redis' as const;
  #conn?: Promise<RedisConnection>;
  readonly #hashes = new Set<string>();
  readonly #watches = new OpenWatches();
  #closed = false;

  constructor(
    readonly name: string,
    private readonly o: RedisOptions,
    private readonly ctx: BackendContext,
  ) {}

  async getValues(prefixes: readonly KeyPath[]): Promise<Snapshot> {
    const values = await this.#withConnection(async (conn) => {
      const names = await scanNames(conn, prefixes, this.o.separator);
      return toValues(names, await readKeys(conn, names), prefixes, this.o.separator, this.#hashes);
    });
    return { values, revision: contentRevision(values) };
  }

  async watch(prefixes: readonly KeyPath[], onEvent: (e: WatchEvent) => void, opts: WatchOptions = {}): Promise<Unwatch> {
    this.#assertOpen();
    const unwatch = await watchRedis(
      {
        name: this.name,
        options: this.o,
        logger: this.ctx.logger,
        connect: () => connectRedis(this.name, this.o, this.ctx.baseDir, this.ctx.logger),
        read: (p) => this.getValues(p),
        readKey: (n) => this.#withConnection(async (conn) => (await readKeys(conn, [n]))[0] as KeyRead),
        hashes: this.#hashes,
      },
      prefixes,
      onEvent,
      opts.since,
      opts.signal,
    );
    return this.#watches.track(unwatch);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#watches.closeAll();
    const conn = await this.#conn?.catch(() => undefined);
    await conn?.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new BackendError(this.name, 'redis: backend is closed', { retryable: false });
  }

  /** Run `fn` on the read connection, opening a new one when there is none or it was lost. */
  async #withConnection<T>(fn: (conn: RedisConnection) => Promise<T>): Promise<T> {
    this.#assertOpen();
    const current = await this.#conn?.catch(() => undefined);
    if (!current?.open) {
      await current?.close();
      this.#conn = connectRedis(this.name, this.o, this.ctx.baseDir, this.ctx.logger);
    }
    const conn = await this.#conn!.catch((e: unknown) => {
      this.#conn = undefined;
      throw e;
    });
    try {
      return await fn(conn);
    } catch (e) {
      throw e instanceof BackendError ? e : new BackendError(this.name, `redis: ${errorMessage(e)}`, { cause: e });
    }
  }
}

export const redisBackend: BackendDefinition<RedisOptions> = {
  kind: 'redis',
  description: 'Redis (remco/confd layout: keys as paths, strings and hashes); SCAN snapshots, keyspace-notification watch.',
  options: REDIS_OPTIONS,
  finish: (values, at) => finishRedisOptions(values, at),
  create: (name, options, ctx) => new RedisBackend(name, options, ctx),
};
