/**
 * The `nats` backend kind: a NATS JetStream key-value bucket (`@nats-io/kv`, loaded on first use).
 * The revision is the bucket stream's sequence: a read notes the last sequence first, then lists
 * and gets the keys, so every change after it is replayed by a watch resuming from it (changes
 * already seen re-apply in order, harmlessly). The watch is the KV watcher, resuming strictly after
 * `since`; when it ends (server restart) the consumer restarts it from the last revision it got.
 * See docs/nats.md.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { OpenWatches } from '../open-watches.ts';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { BackendError, errorMessage } from '../../errors.ts';
import { isUnder, type KeyPath } from '../../tree/keys.ts';
import type { Backend, BackendContext, BackendDefinition, KeyChange, Snapshot, Unwatch, WatchEvent, WatchOptions } from '../contract.ts';
import { finishNatsOptions, fromNatsKey, NATS_OPTIONS, type NatsOptions } from './options.ts';

const GET_PARALLEL = 32;

export class NatsBackend implements Backend {
  readonly kind = 'nats' as const;
  #conn?: Promise<{ nc: NatsConnection; kv: KV }>;
  readonly #watches = new OpenWatches();
  #closed = false;

  constructor(
    readonly name: string,
    private readonly o: NatsOptions,
    private readonly ctx: BackendContext,
  ) {}

  async getValues(prefixes: readonly KeyPath[]): Promise<Snapshot> {
    return this.#guard('read', async ({ kv }) => {
      const last = (await kv.status()).streamInfo.state.last_seq;
      const names: string[] = [];
      for await (const k of await kv.keys()) if (prefixes.some((p) => isUnder(fromNatsKey(k), p))) names.push(k);
      const values = new Map<KeyPath, string>();
      for (let i = 0; i < names.length; i += GET_PARALLEL) {
        const entries = await Promise.all(names.slice(i, i + GET_PARALLEL).map((k) => kv.get(k)));
        for (const e of entries) if (e && e.operation === 'PUT') values.set(fromNatsKey(e.key), e.string());
      }
      return { values, revision: String(last) };
    });
  }

  async watch(prefixes: readonly KeyPath[], onEvent: (e: WatchEvent) => void, opts: WatchOptions = {}): Promise<Unwatch> {
    if (opts.since !== undefined && !/^\d+$/.test(opts.since)) {
      throw new BackendError(this.name, `nats watch: "since" must be a stream sequence, got "${opts.since}"`, { retryable: false });
    }
    const { nc, iter } = await this.#guard('watch', async ({ nc, kv }) => ({
      nc,
      iter: await kv.watch(opts.since !== undefined ? { key: '>', resumeFromRevision: Number(opts.since) + 1 } : { key: '>', include: 'updates' }),
    }));
    let stopped = false;
    const emit = (e: WatchEvent) => {
      if (!stopped) onEvent(e);
    };
    const statuses = nc.status();
    void (async () => {
      for await (const s of statuses) {
        if (stopped) break;
        if (s.type === 'disconnect') emit({ type: 'error', error: new BackendError(this.name, 'nats: disconnected from the server; reconnecting'), willRetry: true });
        else if (s.type === 'reconnect') emit({ type: 'connected' });
      }
    })().catch(() => {});
    const loop = (async () => {
      try {
        for await (const e of iter) {
          const key = fromNatsKey(e.key);
          const change: KeyChange = e.operation === 'PUT' ? { key, value: e.string() } : { key };
          emit({ type: 'change', revision: String(e.revision), changes: prefixes.some((p) => isUnder(key, p)) ? [change] : [] });
        }
      } catch (e) {
        this.ctx.logger.debug({ err: errorMessage(e) }, 'nats watch iterator failed');
      }
      emit({ type: 'error', error: new BackendError(this.name, 'nats: the key-value watcher ended; restarting it from the last revision'), willRetry: false });
    })();
    const unwatch = this.#watches.track(async () => {
      stopped = true;
      iter.stop();
      (statuses as { stop?: () => void }).stop?.();
      await loop;
    });
    opts.signal?.addEventListener('abort', () => void unwatch(), { once: true });
    return unwatch;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#watches.closeAll();
    const c = await this.#conn?.catch(() => undefined);
    await c?.nc.close().catch(() => {});
  }

  async #guard<T>(what: string, fn: (c: { nc: NatsConnection; kv: KV }) => Promise<T>): Promise<T> {
    if (this.#closed) throw new BackendError(this.name, 'nats: backend is closed', { retryable: false });
    const current = await this.#conn?.catch(() => undefined);
    if (!current || current.nc.isClosed()) this.#conn = this.#connect();
    try {
      return await fn(await this.#conn!);
    } catch (e) {
      if (e instanceof BackendError) throw e;
      if (/stream not found/i.test(errorMessage(e))) {
        throw new BackendError(this.name, `nats: key-value bucket "${this.o.bucket}" does not exist (create it, e.g. \`nats kv add ${this.o.bucket}\`)`, { cause: e });
      }
      throw new BackendError(this.name, `nats ${what} (bucket "${this.o.bucket}"): ${errorMessage(e)}`, { cause: e });
    }
  }

  async #connect(): Promise<{ nc: NatsConnection; kv: KV }> {
    const [{ connect, credsAuthenticator }, { Kvm }] = await Promise.all([import('@nats-io/transport-node'), import('@nats-io/kv')]);
    const file = async (label: string, p: string | undefined) => {
      if (p === undefined) return undefined;
      const path = resolve(this.ctx.baseDir, p);
      try {
        return await readFile(path);
      } catch (e) {
        throw new BackendError(this.name, `nats: cannot read ${label} file ${path}: ${errorMessage(e)}`, { cause: e, retryable: false });
      }
    };
    const o = this.o;
    const creds = await file('credentials', o.credentials);
    const tls = o.tls
      ? { ca: (await file('client_ca_keys', o.clientCaKeys))?.toString(), cert: (await file('client_cert', o.clientCert))?.toString(), key: (await file('client_key', o.clientKey))?.toString() }
      : undefined;
    const nc = await connect({
      servers: [...o.servers],
      token: o.token,
      user: o.username,
      pass: o.password,
      authenticator: creds ? credsAuthenticator(creds) : undefined,
      tls,
      timeout: o.requestTimeoutMs,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      name: `keyplate ${this.name}`,
    });
    try {
      const kv = await new Kvm(nc).open(o.bucket, { bindOnly: true, timeout: o.requestTimeoutMs });
      return { nc, kv };
    } catch (e) {
      await nc.close().catch(() => {});
      throw new BackendError(this.name, `nats: cannot open key-value bucket "${o.bucket}": ${errorMessage(e)}`, { cause: e });
    }
  }
}

export const natsBackend: BackendDefinition<NatsOptions> = {
  kind: 'nats',
  description: 'NATS JetStream key-value bucket (keys app.db.host as /app/db/host); KV watcher resuming from the last revision.',
  options: NATS_OPTIONS,
  finish: (values, at) => finishNatsOptions(values, at),
  create: (name, options, ctx) => new NatsBackend(name, options, ctx),
};
