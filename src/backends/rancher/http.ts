/**
 * HTTP to the Rancher metadata service: JSON GETs (`Accept: application/json`) under
 * `<api_host>/<api_version>`, the `/version` read and its long poll. Every failure (refused,
 * timeout, non-200, body cut short, not JSON) becomes a BackendError, so a bad answer can never be
 * mistaken for data. A 404 is "no such path" (`found: false`), except `Invalid version`.
 */
import { BackendError, errorMessage } from '../../errors.ts';

export interface MetadataClientOptions {
  /** Backend instance name, for error messages. */
  readonly backend: string;
  /** `http://host[:port][/path]` without the version, no trailing `/`. */
  readonly apiBase: string;
  readonly apiVersion: string;
  readonly fetch: typeof globalThis.fetch;
  readonly requestTimeoutMs: number;
}

export type Lookup = { readonly found: true; readonly value: unknown } | { readonly found: false };

export const KNOWN_API_VERSIONS = ['2015-07-25', '2015-12-19', '2016-07-29', 'latest'] as const;

/** Slack on top of `maxWait`: the server only re-checks waiters every 5 s (rancher-haproxy.md §2.5). */
const LONG_POLL_SLACK_MS = 5_000;

export class MetadataClient {
  readonly #o: MetadataClientOptions;

  constructor(opts: MetadataClientOptions) {
    this.#o = opts;
  }

  /** `<api_host>/<api_version>` (no credentials: the config refuses them). */
  get baseUrl(): string {
    return `${this.#o.apiBase}/${encodeURIComponent(this.#o.apiVersion)}`;
  }

  /** GET the subtree at key path `path` (`/containers`, `/` = the whole version) as JSON. */
  async get(path: string, signal?: AbortSignal): Promise<Lookup> {
    const segments = path.split('/').filter((s) => s !== '').map(encodeURIComponent);
    return this.#request(segments.length ? `/${segments.join('/')}` : '', this.#o.requestTimeoutMs, signal);
  }

  /** The current `/version` value. */
  async version(signal?: AbortSignal): Promise<string> {
    return this.#versionOf(await this.#request('/version', this.#o.requestTimeoutMs, signal));
  }

  /** Long poll: answers when `/version` differs from `value`, or with the same value after `maxWaitS`. */
  async waitVersion(value: string, maxWaitS: number, signal?: AbortSignal): Promise<string> {
    const query = `?wait=true&value=${encodeURIComponent(value)}&maxWait=${maxWaitS}`;
    const timeoutMs = maxWaitS * 1000 + LONG_POLL_SLACK_MS + this.#o.requestTimeoutMs;
    return this.#versionOf(await this.#request(`/version${query}`, timeoutMs, signal));
  }

  #versionOf(r: Lookup): string {
    if (!r.found) throw this.#error(`${this.baseUrl}/version: not found (is this a Rancher metadata server?)`, false);
    if (typeof r.value === 'string' || typeof r.value === 'number') return String(r.value);
    throw this.#error(`${this.baseUrl}/version: expected a string, got ${JSON.stringify(r.value)?.slice(0, 80)}`);
  }

  async #request(suffix: string, timeoutMs: number, outer?: AbortSignal): Promise<Lookup> {
    const url = `${this.baseUrl}${suffix}`;
    const shown = url;
    const ctl = new AbortController();
    const onAbort = () => ctl.abort(outer?.reason);
    outer?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ctl.abort(new TimeoutMarker()), timeoutMs);
    try {
      if (outer?.aborted) throw outer.reason;
      const res = await this.#o.fetch(url, { headers: { Accept: 'application/json' }, signal: ctl.signal });
      const body = await res.text();
      if (res.status === 404) return this.#notFound(shown, body);
      if (res.status !== 200) {
        throw this.#error(`GET ${shown}: HTTP ${res.status} ${oneLine(body)}`.trimEnd());
      }
      return { found: true, value: this.#parse(shown, body) };
    } catch (e) {
      if (e instanceof BackendError) throw e;
      if (outer?.aborted) throw outer.reason;
      if (ctl.signal.reason instanceof TimeoutMarker) {
        throw this.#error(`GET ${shown}: no complete answer within ${timeoutMs} ms`, true, e);
      }
      throw this.#error(`GET ${shown}: ${describe(e)}`, true, e);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    }
  }

  #notFound(shown: string, body: string): Lookup {
    if (body.includes('Invalid version')) {
      throw this.#error(
        `GET ${shown}: the server does not know api_version "${this.#o.apiVersion}" (known: ${KNOWN_API_VERSIONS.join(', ')})`,
        false,
      );
    }
    return { found: false };
  }

  #parse(shown: string, body: string): unknown {
    try {
      return JSON.parse(body);
    } catch (e) {
      throw this.#error(
        `GET ${shown}: the answer is not valid JSON (${body.length} bytes; truncated, or not a metadata server?)`,
        true,
        e,
      );
    }
  }

  #error(message: string, retryable = true, cause?: unknown): BackendError {
    return new BackendError(this.#o.backend, message, { retryable, cause });
  }
}

class TimeoutMarker extends Error {
  constructor() {
    super('request timeout');
  }
}

/** `fetch failed` alone says nothing: add the cause's code (ECONNREFUSED, ECONNRESET, ...). */
function describe(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const parts = [cause?.code, cause?.message].filter((x): x is string => typeof x === 'string' && x !== '');
  return parts.length ? `${errorMessage(e)} (${[...new Set(parts)].join(': ')})` : errorMessage(e);
}

/** A short, single-line detail of an error body (the `message` of the server's JSON error). */
function oneLine(body: string): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown } | null)?.message;
    if (typeof m === 'string') return m.slice(0, 200);
  } catch {
    // not the JSON error shape: show the raw text
  }
  return body.replace(/\s+/g, ' ').trim().slice(0, 200);
}
