/**
 * Rancher 1.x metadata service (`kind = "rancher"`). Reads the requested subtrees as JSON from
 * `<api_host>/<api_version><prefix>` and flattens them like confd (flatten.ts): keys are the
 * metadata paths without the version, e.g. `/containers/<name>/labels/map-public-http` or
 * `/self/service/metadata/aliases/<stack>/0`. The revision is the metadata `/version`. A failed,
 * truncated or implausibly empty answer throws a retryable BackendError and never yields a
 * snapshot, so the caller keeps its last good tree. See docs/rancher.md.
 */
import { BackendError } from '../../errors.ts';
import { child, failAt, type At } from '../../schema/document.ts';
import type { SectionSchema } from '../../schema/types.ts';
import { isUnder, normalizeKey, type KeyPath } from '../../tree/keys.ts';
import { flattenMetadata } from './flatten.ts';
import { offlineRancherBackend } from './offline.ts';
import { MetadataClient, type Lookup } from './http.ts';
import { watchVersion } from './watch.ts';
import type { Backend, BackendContext, BackendDefinition, Env, Snapshot, Unwatch, WatchEvent, WatchOptions } from '../contract.ts';

export const RANCHER_DEFAULT_HOST = 'rancher-metadata.rancher.internal';
export const RANCHER_DEFAULT_VERSION = '2015-12-19';

export interface RancherOptions {
  /** `http://host[:port][/path]`, no trailing `/`. */
  readonly apiBase: string;
  readonly apiVersion: string;
  readonly longPoll: boolean;
  readonly maxWaitS: number;
  readonly pollIntervalMs: number;
  readonly requestTimeoutMs: number;
  readonly backoffMaxMs: number;
  readonly allowEmptyContainers: boolean;
}

/** Attempts at a read whose `/version` is the same before and after (a consistent snapshot). */
const CONSISTENT_READ_ATTEMPTS = 3;

export type RancherSetup = { readonly offline: false; readonly live: RancherOptions } | { readonly offline: true; readonly answersFile: string };

export const RANCHER_OPTIONS: SectionSchema = {
  title: '[resource.backend.rancher]',
  keys: {
    api_host: { type: 'string', defaultText: 'env RANCHER_API_HOST, else rancher-metadata.rancher.internal', description: 'host, host:port or http:// URL of the metadata service.' },
    api_version: {
      type: 'string',
      defaultText: 'env RANCHER_API_VERSION, else 2015-12-19',
      description: 'metadata API version: 2015-07-25, 2015-12-19, 2016-07-29 or latest.',
    },
    long_poll: { type: 'boolean', default: true, description: 'watch with the /version long poll, falling back to polling when the server lacks it.' },
    max_wait: { type: 'integer', default: 10, min: 1, max: 120, description: 'long poll maxWait in seconds.' },
    poll_interval: { type: 'duration', default: 10, min: 0.01, description: 'time between /version polls when long polling is off or unsupported.' },
    request_timeout: { type: 'duration', default: 10, min: 0.01, description: 'how long a metadata request may take.' },
    backoff_max: { type: 'duration', default: 30, min: 0.01, description: 'cap of the retry backoff after watch errors.' },
    allow_empty_containers: { type: 'boolean', default: false, description: 'accept an empty /containers list after a non-empty one (default: keep the last good data).' },
    offline: { type: 'boolean', default: false, description: 'read `answers_file` instead of the metadata service (local debugging; the preset sets it from DISABLE_METADATA).' },
    answers_file: { type: 'path', description: 'with `offline`: a JSON or YAML file shaped like the metadata root (`containers`, `self`, ...), watched for changes.' },
  },
};

export const rancherBackend: BackendDefinition<RancherSetup> = {
  kind: 'rancher',
  description: 'Rancher 1.x metadata service (JSON walk like confd; long-poll /version, polling fallback).',
  options: RANCHER_OPTIONS,
  finish(values, at, env) {
    if (values.offline === true) {
      if (values.answers_file === undefined) throw failAt(child(at, 'offline'), 'offline = true needs answers_file (a JSON or YAML file shaped like the metadata root)');
      return { offline: true, answersFile: values.answers_file as string };
    }
    return { offline: false, live: finishRancherOptions(values, at, env) };
  },
  create(name, options, ctx) {
    if (options.offline) return offlineRancherBackend(name, options.answersFile, ctx);
    return new RancherBackend(name, options.live, ctx);
  },
};

/** Live-service options from validated values; the host and version fall back to the environment. */
export function finishRancherOptions(values: Readonly<Record<string, unknown>>, at: At, env: Env): RancherOptions {
  const fromEnv = (key: string, envName: string, dflt: string): string => {
    const v = ((values[key] as string | undefined) ?? (env[envName] || undefined) ?? dflt).trim();
    if (v === '') throw failAt(child(at, key), 'must not be empty');
    return v;
  };
  return {
    apiBase: parseApiHost(fromEnv('api_host', 'RANCHER_API_HOST', RANCHER_DEFAULT_HOST), child(at, 'api_host')),
    apiVersion: fromEnv('api_version', 'RANCHER_API_VERSION', RANCHER_DEFAULT_VERSION).replace(/^\/+|\/+$/g, ''),
    longPoll: values.long_poll as boolean,
    maxWaitS: values.max_wait as number,
    pollIntervalMs: values.poll_interval as number,
    requestTimeoutMs: values.request_timeout as number,
    backoffMaxMs: values.backoff_max as number,
    allowEmptyContainers: values.allow_empty_containers as boolean,
  };
}

/** `host`, `host:port` → `http://host[:port]`; a full http(s) URL is kept (without trailing `/`). */
export function parseApiHost(raw: string, at: At): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (e) {
    throw failAt(at, `not a host, host:port or URL: ${JSON.stringify(raw)}`, e);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw failAt(at, `only http:// and https:// are supported, got ${url.protocol}//`);
  }
  if (url.search || url.hash) throw failAt(at, 'must not contain a query or fragment');
  if (url.username || url.password) throw failAt(at, 'must not contain credentials (the metadata service has no auth)');
  return url.href.replace(/\/+$/, '');
}

/** Keep only the outermost prefixes: `/` covers everything, `/containers` covers `/containers/x`. */
export function outermostPrefixes(prefixes: readonly KeyPath[]): KeyPath[] {
  const unique = [...new Set(prefixes.map((p) => normalizeKey(p)))];
  return unique.filter((p) => !unique.some((q) => q !== p && isUnder(p, q)));
}

class RancherBackend implements Backend {
  readonly kind = 'rancher' as const;
  readonly name: string;
  readonly #o: RancherOptions;
  readonly #ctx: BackendContext;
  readonly #client: MetadataClient;
  readonly #closing = new AbortController();
  readonly #watches = new Set<Promise<void>>();
  /** Whether the last successful read that included `/containers` listed any. */
  #hadContainers = false;

  constructor(name: string, o: RancherOptions, ctx: BackendContext) {
    this.name = name;
    this.#o = o;
    this.#ctx = ctx;
    this.#client = new MetadataClient({
      backend: name,
      apiBase: o.apiBase,
      apiVersion: o.apiVersion,
      fetch: ctx.fetch,
      requestTimeoutMs: o.requestTimeoutMs,
    });
  }

  async getValues(prefixes: readonly KeyPath[], opts: { readonly signal?: AbortSignal } = {}): Promise<Snapshot> {
    this.#assertOpen();
    const signal = opts.signal ? AbortSignal.any([opts.signal, this.#closing.signal]) : this.#closing.signal;
    const roots = outermostPrefixes(prefixes);
    for (let attempt = 1; ; attempt++) {
      const before = await this.#client.version(signal);
      const parts = await this.#readAll(roots, signal);
      const after = await this.#client.version(signal);
      if (after === before || attempt >= CONSISTENT_READ_ATTEMPTS) {
        if (after !== before) this.#ctx.logger.debug({ before, after }, 'metadata kept changing during the read; a watch will re-read');
        return { values: this.#accept(roots, parts), revision: before };
      }
    }
  }

  async watch(
    prefixes: readonly KeyPath[],
    onEvent: (e: WatchEvent) => void,
    opts: WatchOptions = {},
  ): Promise<Unwatch> {
    this.#assertOpen();
    void prefixes; // `/version` covers every path: any change anywhere is reported.
    const ctl = new AbortController();
    const stop = () => ctl.abort();
    this.#closing.signal.addEventListener('abort', stop, { once: true });
    opts.signal?.addEventListener('abort', stop, { once: true });
    if (opts.signal?.aborted) ctl.abort();
    const o = this.#o;
    const loop = watchVersion(
      { backend: this.name, client: this.#client, logger: this.#ctx.logger, longPoll: o.longPoll, maxWaitS: o.maxWaitS, pollIntervalMs: o.pollIntervalMs, backoffMaxMs: o.backoffMaxMs },
      onEvent,
      opts.since,
      ctl.signal,
    ).finally(() => {
      this.#closing.signal.removeEventListener('abort', stop);
      opts.signal?.removeEventListener('abort', stop);
      this.#watches.delete(loop);
    });
    this.#watches.add(loop);
    return async () => {
      ctl.abort();
      await loop;
    };
  }

  async close(): Promise<void> {
    this.#closing.abort();
    await Promise.all([...this.#watches]);
  }

  #assertOpen(): void {
    if (this.#closing.signal.aborted) throw new BackendError(this.name, 'backend is closed', { retryable: false });
  }

  async #readAll(roots: readonly KeyPath[], signal: AbortSignal): Promise<Lookup[]> {
    const ctl = new AbortController();
    const both = AbortSignal.any([signal, ctl.signal]);
    try {
      const parts = await Promise.all(roots.map((r) => this.#client.get(r, both)));
      await this.#checkSelf(roots, parts, both);
      return parts;
    } catch (e) {
      ctl.abort(); // stop sibling requests
      throw e;
    }
  }

  /** A 404 under `/self` while `/self` itself is missing: the server does not know this caller yet. */
  async #checkSelf(roots: readonly KeyPath[], parts: readonly Lookup[], signal: AbortSignal): Promise<void> {
    const missingSelf = roots.some((r, i) => !parts[i].found && isUnder(r, '/self'));
    if (!missingSelf || (await this.#client.get('/self', signal)).found) return;
    throw new BackendError(
      this.name,
      `${this.#client.baseUrl}/self: the metadata server has no entry for this container yet (starting up, or not on the managed network); keeping the last good data`,
    );
  }

  /** Guard against an empty `/containers` after a non-empty one, then flatten. */
  #accept(roots: readonly KeyPath[], parts: readonly Lookup[]): Map<KeyPath, string> {
    let containers: unknown[] | undefined;
    roots.forEach((r, i) => {
      const p = parts[i];
      if (!p.found) return;
      const list = r === '/containers' ? p.value : r === '/' ? (p.value as Record<string, unknown> | null)?.containers : undefined;
      if (Array.isArray(list)) containers = list;
    });
    if (containers?.length === 0 && this.#hadContainers && !this.#o.allowEmptyContainers) {
      throw new BackendError(
        this.name,
        `${this.#client.baseUrl}/containers: the server answered an empty list although the last read had containers; ` +
          'keeping the last good data (the list always includes this container; set allow_empty_containers = true to accept it)',
      );
    }
    if (containers) this.#hadContainers = containers.length > 0;
    const values = new Map<KeyPath, string>();
    roots.forEach((r, i) => {
      const p = parts[i];
      if (p.found) flattenMetadata(p.value, r, values);
    });
    return values;
  }
}
