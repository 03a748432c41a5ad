/**
 * A v3 snapshot read through etcd's JSON gRPC gateway (`POST /v3/kv/txn`, keys and values in
 * base64), so a one-shot render, and the first read of a daemon, never wait for the gRPC client
 * to load. The guarantee is the gRPC path's: every prefix at ONE revision (a txn of ranges, later
 * chunks pinned to the first answer's revision). Used without credentials or TLS only (the gateway
 * wants an auth token round trip, and client certificates belong to the gRPC client), and for
 * small reads only: etcd encodes JSON far slower than protobuf and the text costs memory, so a
 * prefix with more than GATEWAY_LIMIT keys hands the read to gRPC. The caller falls back to gRPC
 * when this answers `undefined`: a node answered but cannot serve the read this way (no gateway, a
 * proxy, too many keys), or refused or dropped the HTTP/1.1 request (a gRPC-only listener). When
 * every node stays silent for request_timeout, gRPC to the same addresses would wait as long: that
 * is a BackendError at once, so a blackholed etcd costs one request_timeout, not two.
 */
import { isUnder, normalizeKey, type KeyPath } from '../../tree/keys.ts';
import { BackendError } from '../../errors.ts';
import { prefixRange, type EtcdConnection } from './common.ts';
import type { Snapshot } from '../contract.ts';

interface GatewayKv {
  readonly key?: string;
  readonly value?: string;
}
interface GatewayTxn {
  readonly header?: { readonly revision?: string };
  readonly responses?: ReadonlyArray<{ readonly response_range?: { readonly kvs?: readonly GatewayKv[]; readonly more?: boolean } }>;
}

/** Keys per prefix the gateway reads; a bigger prefix is read through gRPC. */
export const GATEWAY_LIMIT = 2_000;

const b64 = (b: Buffer) => b.toString('base64');
const text = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

/** The snapshot, or undefined when the gateway cannot serve it (the caller then uses gRPC). */
export async function readThroughGateway(
  conn: EtcdConnection,
  fetchFn: typeof globalThis.fetch,
  wanted: readonly KeyPath[],
  opsPerTxn: number,
  signal?: AbortSignal,
  limit = GATEWAY_LIMIT,
): Promise<Snapshot | undefined> {
  if (conn.tls || conn.username !== undefined) return undefined;
  const silent: string[] = [];
  let grpcMayServe = false;
  let lastError: unknown;
  for (const node of conn.nodes) {
    if (signal?.aborted) return undefined;
    try {
      // an answer that is no snapshot this path can give (not 200, not a txn, too many keys): gRPC
      return await readFrom(node, conn.requestTimeoutMs, fetchFn, wanted, { opsPerTxn, limit }, signal);
    } catch (e) {
      if (signal?.aborted) return undefined;
      lastError = e;
      if (e instanceof NoAnswer) silent.push(node);
      else grpcMayServe = true; // refused, reset, not JSON: another protocol may still get through
    }
  }
  if (grpcMayServe || silent.length === 0) return undefined;
  throw new BackendError(conn.name, `etcd v3 read of ${wanted.join(', ')}: no answer within ${conn.requestTimeoutMs} ms (request_timeout) from ${silent.join(', ')}`, {
    cause: lastError,
    retryable: true,
  });
}

/** No answer within request_timeout (a blackhole): gRPC to the same node would wait as long. */
class NoAnswer extends Error {}


async function readFrom(
  node: string,
  timeoutMs: number,
  fetchFn: typeof globalThis.fetch,
  wanted: readonly KeyPath[],
  { opsPerTxn, limit }: { opsPerTxn: number; limit: number },
  signal?: AbortSignal,
): Promise<Snapshot | undefined> {
  const values = new Map<KeyPath, string>();
  let revision: string | undefined;
  for (let i = 0; i < wanted.length; i += opsPerTxn) {
    const chunk = wanted.slice(i, i + opsPerTxn);
    const success = chunk.map((p) => {
      const { key, end } = prefixRange(p);
      return { request_range: { key: b64(key), range_end: b64(end), limit, ...(revision === undefined ? {} : { revision }) } };
    });
    const body = await post(`${node}/v3/kv/txn`, JSON.stringify({ success }), timeoutMs, fetchFn, signal);
    if (!body || typeof body.header?.revision !== 'string' || body.responses?.length !== chunk.length) return undefined;
    if (body.responses.some((r) => r.response_range?.more)) return undefined; // too big: gRPC
    revision ??= body.header.revision;
    body.responses.forEach((r, j) => {
      for (const kv of r.response_range?.kvs ?? []) {
        const key = normalizeKey(text(kv.key));
        if (isUnder(key, chunk[j])) values.set(key, text(kv.value));
      }
    });
  }
  return { values, revision };
}

async function post(url: string, body: string, timeoutMs: number, fetchFn: typeof globalThis.fetch, signal?: AbortSignal): Promise<GatewayTxn | undefined> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new NoAnswer(`no answer within ${timeoutMs} ms`)), timeoutMs);
  const onAbort = () => ctl.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await fetchFn(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: ctl.signal });
    const text = await res.text();
    return res.status === 200 ? (JSON.parse(text) as GatewayTxn) : undefined;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
