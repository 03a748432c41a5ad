/**
 * The etcd v2 keys API over the injected `fetch`: one request tried against each configured node
 * in turn (the node that last answered first), Basic auth, per-request deadlines, and parsing
 * of etcd's JSON answers and error bodies.
 */
import type { Logger } from 'pino';
import { BackendError, errorMessage } from '../../errors.ts';
import { ROOT, type KeyPath } from '../../tree/keys.ts';
import { abortError, type EtcdConnection } from './common.ts';

/** A v2 node as returned by the keys API. */
export interface V2Node {
  readonly key?: string;
  readonly value?: string;
  readonly dir?: boolean;
  readonly nodes?: readonly V2Node[];
  readonly modifiedIndex?: number;
}

/** Either an action answer or an error answer (`errorCode`, `message`, `cause`, `index`). */
export interface V2Body {
  readonly action?: string;
  readonly node?: V2Node;
  readonly prevNode?: V2Node;
  readonly errorCode?: number;
  readonly message?: string;
  readonly cause?: string;
  readonly index?: number;
}

export interface V2Answer {
  readonly status: number;
  /** `X-Etcd-Index`, when present. */
  readonly index?: bigint;
  readonly text: string;
  readonly node: string;
}

export interface V2RequestOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs: number;
  /** A long-poll: a client timeout is an ordinary outcome (`undefined`), not a failure. */
  readonly longPoll?: boolean;
  /** Called once the response headers arrived (the long-poll is armed). */
  readonly onHeaders?: (index: bigint | undefined, status: number) => void;
}

/** `/services/web` → `/v2/keys/services/web` with each segment URL-encoded. */
export function keysPath(prefix: KeyPath): string {
  if (prefix === ROOT) return '/v2/keys/';
  return `/v2/keys${prefix.split('/').map(encodeURIComponent).join('/')}`;
}

export class V2Http {
  #current = 0;

  constructor(
    private readonly conn: EtcdConnection,
    private readonly fetchFn: typeof globalThis.fetch,
    private readonly logger: Logger,
  ) {}

  /** GET `path` on the first node that answers; undefined only for a long-poll that hit its deadline. */
  async get(path: string, opts: V2RequestOptions): Promise<V2Answer | undefined> {
    const nodes = this.conn.nodes;
    let lastError: unknown;
    const first = this.#current;
    for (let i = 0; i < nodes.length; i++) {
      const idx = (first + i) % nodes.length;
      const node = nodes[idx];
      try {
        const answer = await this.#once(node, path, opts);
        this.#current = idx;
        return answer;
      } catch (e) {
        if (opts.signal?.aborted) throw abortError(this.conn.name, 'etcd v2 request', opts.signal);
        lastError = e;
        this.logger.debug({ node, err: errorMessage(e) }, 'etcd v2 node failed; trying the next one');
        this.#current = (idx + 1) % nodes.length;
      }
    }
    throw new BackendError(this.conn.name, `etcd v2: no node answered (${nodes.join(', ')}): ${errorMessage(lastError)}`, {
      cause: lastError,
    });
  }

  async #once(node: string, path: string, opts: V2RequestOptions): Promise<V2Answer | undefined> {
    const ctrl = new AbortController();
    let timedOut = false;
    let armed = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort(new Error(`no answer within ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    const onAbort = () => ctrl.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await this.fetchFn(`${node}${path}`, { headers: this.#headers(), signal: ctrl.signal });
      const index = parseIndex(res.headers.get('x-etcd-index'));
      armed = true;
      opts.onHeaders?.(index, res.status);
      const text = await res.text();
      return { status: res.status, index, text, node };
    } catch (e) {
      if (timedOut && opts.longPoll && armed) return undefined;
      if (timedOut) throw new Error(`${node}: no answer within ${opts.timeoutMs} ms`, { cause: e });
      throw e;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  #headers(): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json' };
    if (this.conn.username !== undefined) {
      const token = Buffer.from(`${this.conn.username}:${this.conn.password ?? ''}`).toString('base64');
      h.authorization = `Basic ${token}`;
    }
    return h;
  }
}

function parseIndex(raw: string | null): bigint | undefined {
  return raw && /^\d+$/.test(raw) ? BigInt(raw) : undefined;
}

/** Parse a JSON body; a non-JSON 404 means the v2 API is switched off (etcd >= 3.4 without --enable-v2). */
export function parseBody(backend: string, answer: V2Answer, what: string): V2Body {
  try {
    return JSON.parse(answer.text) as V2Body;
  } catch (e) {
    if (answer.status === 404) {
      throw new BackendError(
        backend,
        `${what}: ${answer.node} does not serve the etcd v2 API (etcd 3.4/3.5 need --enable-v2=true; 3.6 removed it). ` +
          'Use version = 3 if your data is in the v3 keyspace.',
        { cause: e, retryable: false },
      );
    }
    throw new BackendError(backend, `${what}: ${answer.node} answered HTTP ${answer.status} with a body that is not JSON`, {
      cause: e,
    });
  }
}

/** An etcd error body as a BackendError (`errorCode`, `message`, `cause`). */
export function v2Error(backend: string, what: string, body: V2Body, status: number): BackendError {
  const detail = [body.message, body.cause].filter(Boolean).join(': ');
  const retryable = status >= 500 || status === 0;
  return new BackendError(backend, `${what}: etcd error ${body.errorCode ?? status}${detail ? ` (${detail})` : ''}`, {
    retryable,
  });
}
