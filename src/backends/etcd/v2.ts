/**
 * etcd v2 keys API (what gliderlabs/registrator writes) over the injected `fetch`. Reads are one
 * recursive GET per prefix; directories are flattened and empty ones ignored. The snapshot
 * revision is the SMALLEST `X-Etcd-Index` of those reads, so a watch started from it may replay
 * a few changes the read already saw (harmless: replaying in order converges) but never misses one.
 */
import type { Logger } from 'pino';
import { BackendError } from '../../errors.ts';
import { isUnder, normalizeKey, type KeyPath } from '../../tree/keys.ts';
import { collapsePrefixes, type EtcdApi, type EtcdConnection } from './common.ts';
import { keysPath, parseBody, V2Http, v2Error, type V2Node } from './v2-http.ts';
import { V2Watches } from './v2-watch.ts';
import type { Snapshot, Unwatch, WatchEvent, WatchOptions } from '../contract.ts';

export class EtcdV2Api implements EtcdApi {
  readonly version = 2 as const;
  readonly #http: V2Http;
  readonly #watches: V2Watches;
  #closed = false;

  constructor(
    private readonly conn: EtcdConnection,
    fetchFn: typeof globalThis.fetch,
    logger: Logger,
  ) {
    this.#http = new V2Http(conn, fetchFn, logger);
    this.#watches = new V2Watches(this.#http, conn, logger);
  }

  async getValues(prefixes: readonly KeyPath[], signal?: AbortSignal): Promise<Snapshot> {
    this.#check();
    // v2 has no read of several keys at once: each prefix is its own request (all in flight
    // together), each answer carries its index and the snapshot is the lowest; merged and, on
    // failure, reported in prefix order whatever order the answers came in
    const reads = await Promise.allSettled(
      collapsePrefixes(prefixes).map(async (prefix) => {
        const part = new Map<KeyPath, string>();
        return { part, index: await this.#readPrefix(prefix, part, signal) };
      }),
    );
    const values = new Map<KeyPath, string>();
    let revision: bigint | undefined;
    for (const r of reads) {
      if (r.status === 'rejected') throw r.reason;
      for (const [k, v] of r.value.part) values.set(k, v);
      const { index } = r.value;
      if (index !== undefined && (revision === undefined || index < revision)) revision = index;
    }
    return { values, revision: revision?.toString() };
  }

  async countKeys(prefixes: readonly KeyPath[], signal?: AbortSignal): Promise<number> {
    return (await this.getValues(prefixes, signal)).values.size;
  }

  watch(prefixes: readonly KeyPath[], onEvent: (e: WatchEvent) => void, opts: WatchOptions = {}): Promise<Unwatch> {
    this.#check();
    return this.#watches.subscribe(collapsePrefixes(prefixes), onEvent, opts);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#watches.close();
  }

  #check(): void {
    if (this.#closed) throw new BackendError(this.conn.name, 'etcd v2: backend is closed', { retryable: false });
    if (this.conn.tls) {
      throw new BackendError(
        this.conn.name,
        'etcd v2: client_cert/client_key/client_ca_keys are only supported with version = 3 (the v2 client uses plain fetch)',
        { retryable: false },
      );
    }
  }

  /** Read one prefix into `values`; returns its X-Etcd-Index. */
  async #readPrefix(prefix: KeyPath, values: Map<KeyPath, string>, signal?: AbortSignal): Promise<bigint | undefined> {
    const what = `etcd v2 read of ${prefix}`;
    const answer = await this.#http.get(`${keysPath(prefix)}?recursive=true&sorted=true`, {
      signal,
      timeoutMs: this.conn.requestTimeoutMs,
    });
    if (!answer) throw new BackendError(this.conn.name, `${what}: no answer`);
    const body = parseBody(this.conn.name, answer, what);
    const index = answer.index ?? (body.index !== undefined ? BigInt(body.index) : undefined);
    if (answer.status === 404 && body.errorCode === 100) return index; // key not found: empty
    if (answer.status !== 200 || !body.node) throw v2Error(this.conn.name, what, body, answer.status);
    flatten(body.node, prefix, values);
    return index;
  }
}

/** Leaves of a v2 node tree, limited to `prefix`; directories (empty or not) hold no value themselves. */
export function flatten(node: V2Node, prefix: KeyPath, out: Map<KeyPath, string>): void {
  const stack: V2Node[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.dir) {
      if (n.nodes) stack.push(...n.nodes);
      continue;
    }
    if (n.key === undefined) continue;
    const key = normalizeKey(n.key);
    if (isUnder(key, prefix)) out.set(key, n.value ?? '');
  }
}
