/**
 * The `zookeeper` backend kind: znodes as key paths, the data of leaf znodes as values (as confd
 * and remco read ZooKeeper), read by walking the prefixes (read.ts) and watched with re-armed
 * one-shot watches on a session of its own (watch.ts). The client is `node-zookeeper-client`
 * (pure JavaScript), loaded on first use. ZooKeeper has no revision for a multi-znode read, so the
 * revision is a content hash. See docs/zookeeper.md.
 */
import { BackendError } from '../../errors.ts';
import { OpenWatches } from '../open-watches.ts';
import type { KeyPath } from '../../tree/keys.ts';
import { contentRevision } from '../revision.ts';
import type { Backend, BackendContext, BackendDefinition, Snapshot, Unwatch, WatchEvent, WatchOptions } from '../contract.ts';
import { ZkSession } from './client.ts';
import { finishZooKeeperOptions, ZOOKEEPER_OPTIONS, type ZooKeeperOptions } from './options.ts';
import { readPrefixes } from './read.ts';
import { watchZooKeeper } from './watch.ts';

export class ZooKeeperBackend implements Backend {
  readonly kind = 'zookeeper' as const;
  #session?: Promise<ZkSession>;
  readonly #watches = new OpenWatches();
  #closed = false;

  constructor(
    readonly name: string,
    private readonly o: ZooKeeperOptions,
    private readonly ctx: BackendContext,
  ) {}

  async getValues(prefixes: readonly KeyPath[], opts: { readonly signal?: AbortSignal } = {}): Promise<Snapshot> {
    const session = await this.#readSession(opts.signal);
    const values = await readPrefixes(session, prefixes);
    return { values, revision: contentRevision(values) };
  }

  async watch(prefixes: readonly KeyPath[], onEvent: (e: WatchEvent) => void, opts: WatchOptions = {}): Promise<Unwatch> {
    this.#assertOpen();
    const unwatch = await watchZooKeeper(
      { name: this.name, logger: this.ctx.logger, open: (onState, signal) => ZkSession.open(this.name, this.o, onState, signal) },
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
    (await this.#session?.catch(() => undefined))?.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new BackendError(this.name, 'zookeeper: backend is closed', { retryable: false });
  }

  /** The session for reads, a new one when there is none or it expired. */
  async #readSession(signal?: AbortSignal): Promise<ZkSession> {
    this.#assertOpen();
    const current = await this.#session?.catch(() => undefined);
    if (current && current.state !== 'expired' && current.state !== 'auth_failed') return current;
    current?.close();
    const opening = ZkSession.open(this.name, this.o, undefined, signal);
    this.#session = opening;
    return opening.catch((e: unknown) => {
      if (this.#session === opening) this.#session = undefined;
      throw e;
    });
  }
}

export const zookeeperBackend: BackendDefinition<ZooKeeperOptions> = {
  kind: 'zookeeper',
  description: 'Apache ZooKeeper (confd/remco layout: znodes as paths, leaf data as values); re-armed watches, re-read and diff.',
  options: ZOOKEEPER_OPTIONS,
  finish: (values, at) => finishZooKeeperOptions(values, at),
  create: (name, options, ctx) => new ZooKeeperBackend(name, options, ctx),
};
