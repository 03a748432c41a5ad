/**
 * etcd v3 KV API through the `etcd3` package (gRPC), loaded lazily on first use so importing the
 * backend definition never loads gRPC. Reads every requested prefix at ONE revision (a txn of
 * ranges; later chunks pinned to the first revision, like confd); watches live in v3-watch.ts.
 * Reads before the gRPC client exists go through the JSON gateway (v3-gateway.ts), same guarantee.
 */
import type { Etcd3, IOptions, IRangeRequest, IRequestOp } from 'etcd3';
import type { Logger } from 'pino';
import { BackendError } from '../../errors.ts';
import { isUnder, normalizeKey, type KeyPath } from '../../tree/keys.ts';
import {
  abortable,
  collapsePrefixes,
  withDeadline,
  prefixRange,
  toBackendError,
  type EtcdApi,
  type EtcdConnection,
} from './common.ts';
import { readThroughGateway } from './v3-gateway.ts';
import { V3WatchHub } from './v3-watch.ts';
import type { Snapshot, Unwatch, WatchEvent, WatchOptions } from '../contract.ts';

/** etcd's default `--max-txn-ops` is 128; stay well below it. */
const OPS_PER_TXN = 100;
/** Large snapshots (tens of thousands of keys) exceed gRPC's default 4 MiB receive limit. */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export class EtcdV3Api implements EtcdApi {
  readonly version = 3 as const;
  #client?: Promise<Etcd3>;
  #hub?: V3WatchHub;
  #closed = false;

  constructor(
    private readonly conn: EtcdConnection,
    private readonly logger: Logger,
    private readonly fetchFn?: typeof globalThis.fetch,
  ) {}

  async getValues(prefixes: readonly KeyPath[], signal?: AbortSignal): Promise<Snapshot> {
    const wanted = collapsePrefixes(prefixes);
    const values = new Map<KeyPath, string>();
    if (wanted.length === 0) return { values };
    if (this.#client === undefined && this.fetchFn && !this.#closed) {
      // before the gRPC client exists (a one-shot, a daemon's first read): the JSON gateway
      const snap = await readThroughGateway(this.conn, this.fetchFn, wanted, OPS_PER_TXN, signal);
      if (snap) return snap;
    }
    const client = await this.#connect(signal);
    let revision: string | undefined;
    for (let i = 0; i < wanted.length; i += OPS_PER_TXN) {
      const chunk = wanted.slice(i, i + OPS_PER_TXN);
      const ops: IRequestOp[] = chunk.map((p) => ({ request_range: rangeRequest(p, revision) }));
      const res = await this.#bounded(client.kv.txn({ success: ops }), signal, 'etcd v3 read').catch(
        (e: unknown) => {
          throw toBackendError(this.conn.name, `etcd v3 read of ${chunk.join(', ')}`, e);
        },
      );
      revision ??= res.header.revision;
      res.responses.forEach((r, j) => {
        for (const kv of r.response_range.kvs) {
          const key = normalizeKey(kv.key.toString());
          if (isUnder(key, chunk[j])) values.set(key, kv.value.toString());
        }
      });
    }
    return { values, revision };
  }

  async countKeys(prefixes: readonly KeyPath[], signal?: AbortSignal): Promise<number> {
    const wanted = collapsePrefixes(prefixes);
    const client = await this.#connect(signal);
    let total = 0;
    for (const p of wanted) {
      // keys_only + filter: a count_only range would also count siblings like `/app-x`.
      const req: IRangeRequest = { ...rangeRequest(p, undefined), keys_only: true };
      const res = await this.#bounded(client.kv.range(req), signal, 'etcd v3 probe').catch((e: unknown) => {
        throw toBackendError(this.conn.name, `etcd v3 probe of ${p}`, e);
      });
      for (const kv of res.kvs) if (isUnder(normalizeKey(kv.key.toString()), p)) total++;
    }
    return total;
  }

  async watch(prefixes: readonly KeyPath[], onEvent: (e: WatchEvent) => void, opts: WatchOptions = {}): Promise<Unwatch> {
    await this.#connect(opts.signal);
    this.#hub ??= new V3WatchHub(
      { client: () => this.#connect(), renew: () => this.#renew() },
      this.conn,
      this.logger,
    );
    return this.#hub.subscribe(collapsePrefixes(prefixes), onEvent, opts);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#hub?.close();
    const client = await this.#client?.catch(() => undefined);
    client?.close();
  }

  /** One call: each attempt of the client is bounded by request_timeout, the whole call by
   *  request_timeout per node (the client fails over between attempts). */
  #bounded<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
    const ms = this.conn.requestTimeoutMs * Math.max(1, this.conn.nodes.length);
    return withDeadline(work, { ms, clock: this.conn.clock, signal, backend: this.conn.name, what });
  }

  /** Close the current client; the next call builds a fresh one (new auth token, new connections). */
  async #renew(): Promise<void> {
    const old = this.#client;
    this.#client = undefined;
    (await old?.catch(() => undefined))?.close();
  }

  #connect(signal?: AbortSignal): Promise<Etcd3> {
    if (this.#closed) return Promise.reject(new BackendError(this.conn.name, 'etcd v3: backend is closed', { retryable: false }));
    this.#client ??= createClient(this.conn);
    // A failed import/construction is not cached: the next call tries again.
    this.#client.catch(() => {
      this.#client = undefined;
    });
    return abortable(this.#client, signal, this.conn.name, 'etcd v3 connect');
  }
}

function rangeRequest(prefix: KeyPath, revision: string | undefined): IRangeRequest {
  const { key, end } = prefixRange(prefix);
  return revision === undefined ? { key, range_end: end } : { key, range_end: end, revision };
}

async function createClient(conn: EtcdConnection): Promise<Etcd3> {
  let mod: typeof import('etcd3');
  try {
    mod = await import('etcd3');
  } catch (e) {
    throw new BackendError(conn.name, 'etcd v3: cannot load the "etcd3" package (npm install etcd3)', {
      cause: e,
      retryable: false,
    });
  }
  const Etcd3Ctor = mod.Etcd3 ?? (mod as unknown as { default: typeof mod }).default.Etcd3;
  const timeout = conn.requestTimeoutMs;
  const options: IOptions = {
    hosts: [...conn.nodes],
    grpcOptions: {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
    },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
  };
  if (conn.username !== undefined) options.auth = { username: conn.username, password: conn.password ?? '' };
  if (conn.tls) {
    options.credentials = {
      rootCertificate: conn.tls.ca as Buffer,
      privateKey: conn.tls.key,
      certChain: conn.tls.cert,
    };
  }
  try {
    return new Etcd3Ctor(options);
  } catch (e) {
    throw new BackendError(conn.name, `etcd v3: bad client options: ${(e as Error).message}`, { cause: e, retryable: false });
  }
}
