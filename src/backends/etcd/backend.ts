/**
 * The `etcd` backend kind: option handling and the choice between the v3 KV API (v3.ts, gRPC,
 * loaded lazily) and the v2 keys API (v2.ts, fetch). etcd keeps the two keyspaces apart, so
 * `version = "auto"` looks where the data actually is, and an explicit version that finds nothing
 * while the other API has keys logs a warning that says so (confd #574/#586: v2 silently returned
 * "key not found" against v3 data).
 */
import { BackendError, errorMessage } from '../../errors.ts';
import type { KeyPath } from '../../tree/keys.ts';
import { collapsePrefixes, type EtcdApi, type EtcdConnection } from './common.ts';
import { buildConnection, ETCD_OPTIONS, finishEtcdOptions, type EtcdOptions } from './options.ts';
import { EtcdV2Api } from './v2.ts';
import { EtcdV3Api } from './v3.ts';
import type { Backend, BackendContext, BackendDefinition, Snapshot, Unwatch, WatchEvent, WatchOptions } from '../contract.ts';


const KEYSPACE_SPLIT =
  'etcd keeps the v2 and v3 keyspaces separate: keys written through the v2 API (gliderlabs/registrator) are invisible to v3 reads, and keys written through v3 (etcdctl 3, the fayrus/registrator fork) are invisible to v2';

export class EtcdBackend implements Backend {
  readonly kind = 'etcd' as const;
  #conn?: Promise<EtcdConnection>;
  #v2?: EtcdV2Api;
  #v3?: EtcdV3Api;
  #selected?: Promise<EtcdApi>;
  #explained = false;
  #closed = false;

  constructor(
    readonly name: string,
    private readonly opts: EtcdOptions,
    private readonly ctx: BackendContext,
  ) {}

  /** The API in use once chosen (`undefined` before the first read or watch). */
  async selectedVersion(): Promise<2 | 3 | undefined> {
    return (await this.#selected?.catch(() => undefined))?.version;
  }

  async getValues(prefixes: readonly KeyPath[], opts: { readonly signal?: AbortSignal } = {}): Promise<Snapshot> {
    const api = await this.#select(prefixes, opts.signal);
    const snap = await api.getValues(prefixes, opts.signal);
    if (snap.values.size === 0 && this.opts.version !== 'auto' && !this.#explained) {
      this.#explained = true;
      await this.#explainEmpty(api, prefixes, opts.signal);
    }
    return snap;
  }

  async watch(prefixes: readonly KeyPath[], onEvent: (e: WatchEvent) => void, opts: WatchOptions = {}): Promise<Unwatch> {
    const api = await this.#select(prefixes, opts.signal);
    return api.watch(prefixes, onEvent, opts);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#v2?.close(), this.#v3?.close()]);
  }

  async #api(version: 2 | 3, signal?: AbortSignal): Promise<EtcdApi> {
    if (this.#closed) throw new BackendError(this.name, 'etcd: backend is closed', { retryable: false });
    this.#conn ??= buildConnection(this.name, this.opts, this.ctx.baseDir, signal);
    const conn = await this.#conn.catch((e: unknown) => {
      this.#conn = undefined;
      throw e;
    });
    if (version === 2) return (this.#v2 ??= new EtcdV2Api(conn, this.ctx.fetch, this.ctx.logger));
    return (this.#v3 ??= new EtcdV3Api(conn, this.ctx.logger, this.ctx.fetch));
  }

  #select(prefixes: readonly KeyPath[], signal?: AbortSignal): Promise<EtcdApi> {
    const v = this.opts.version;
    if (v !== 'auto') return this.#api(v, signal);
    this.#selected ??= this.#detect(collapsePrefixes(prefixes), signal);
    return this.#selected.catch((e: unknown) => {
      this.#selected = undefined; // undecided (etcd unreachable): decide on the next call
      throw e;
    });
  }

  /** `version = "auto"`: v3 when it has keys under the prefixes, else v2 when it has, else v3. */
  async #detect(prefixes: readonly KeyPath[], signal?: AbortSignal): Promise<EtcdApi> {
    const log = this.ctx.logger;
    const where = prefixes.join(', ');
    const v3 = await this.#api(3, signal);
    const n3 = await v3.countKeys(prefixes, signal).catch((e: unknown) => e as Error);
    if (typeof n3 === 'number' && n3 > 0) {
      log.info({ event: 'etcd-api', version: 3, keys: n3 }, `etcd: using the v3 API (${n3} key(s) under ${where} in the v3 keyspace)`);
      return this.#keep(v3);
    }
    if (typeof n3 !== 'number') {
      log.warn({ event: 'etcd-api-probe-failed', version: 3, err: errorMessage(n3) }, `etcd: the v3 API did not answer (${errorMessage(n3)}); trying v2`);
    }
    const v2 = await this.#api(2, signal);
    const n2 = await v2.countKeys(prefixes, signal).catch((e: unknown) => e as Error);
    if (typeof n2 === 'number' && n2 > 0) {
      log.info(
        { event: 'etcd-api', version: 2, keys: n2 },
        `etcd: using the v2 API: no keys under ${where} in the v3 keyspace but ${n2} in the v2 keyspace (as written by gliderlabs/registrator)`,
      );
      return this.#keep(v2);
    }
    if (typeof n3 !== 'number') throw n3; // v3 unreachable and v2 has nothing: no basis for a choice
    const v2note = typeof n2 === 'number' ? 'nor in v2' : `and v2 is not available (${errorMessage(n2)})`;
    log.info({ event: 'etcd-api', version: 3 }, `etcd: using the v3 API (no keys under ${where} yet in v3 ${v2note})`);
    log.warn(`etcd: no keys under ${where} in either API. If your writer uses the v2 API (gliderlabs/registrator), set version = 2; ${KEYSPACE_SPLIT}.`);
    return this.#keep(v3);
  }

  /** Close the API that was not chosen (the v3 client holds gRPC channels). */
  async #keep(api: EtcdApi): Promise<EtcdApi> {
    if (api.version === 3 && this.#v2) {
      await this.#v2.close();
      this.#v2 = undefined;
    } else if (api.version === 2 && this.#v3) {
      await this.#v3.close();
      this.#v3 = undefined;
    }
    return api;
  }

  /** An explicit `version` found nothing: if the other API has keys there, say why they are invisible. */
  async #explainEmpty(api: EtcdApi, prefixes: readonly KeyPath[], signal?: AbortSignal): Promise<void> {
    const other = api.version === 2 ? 3 : 2;
    try {
      const otherApi = await this.#api(other, signal);
      const n = await otherApi.countKeys(prefixes, signal);
      if (n > 0) {
        this.ctx.logger.warn(
          { version: api.version, otherVersion: other, keys: n },
          `etcd: version = ${api.version} finds no keys under ${collapsePrefixes(prefixes).join(', ')}, but the v${other} API has ${n}. ` +
            `${KEYSPACE_SPLIT}. Set version = ${other} (or "auto").`,
        );
      }
    } catch (e) {
      this.ctx.logger.debug({ err: errorMessage(e) }, `etcd: could not probe the v${other} API`);
    } finally {
      await this.#keep(api);
    }
  }
}

export function createEtcdBackend(name: string, opts: EtcdOptions, ctx: BackendContext): EtcdBackend {
  return new EtcdBackend(name, opts, ctx);
}

export const etcdBackend: BackendDefinition<EtcdOptions> = {
  kind: 'etcd',
  description:
    'etcd v3 (KV API over gRPC) or v2 (keys API, e.g. gliderlabs/registrator): single-revision reads of several prefixes and lossless watches with failover.',
  options: ETCD_OPTIONS,
  finish: (values, at) => finishEtcdOptions(values, at),
  create(name, options, ctx) {
    return createEtcdBackend(name, options, ctx);
  },
};
