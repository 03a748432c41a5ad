/** Small pieces of the v3 watch hub: where its client comes from, the `since` revision, ending a gRPC watch stream. */
import type { Etcd3, IDuplexStream, IWatchRequest, IWatchResponse } from 'etcd3';
import { BackendError } from '../../errors.ts';
import type { KeyPath } from '../../tree/keys.ts';
import { prefixRange } from './common.ts';

export type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

/** Where the hub gets its client: the API's current one, or a fresh one (new token, new connection). */
export interface V3ClientSource {
  client(): Promise<Etcd3>;
  /** Drop the current client (closed) so the next `client()` builds a fresh one. */
  renew(): Promise<void>;
}

export function parseSince(backend: string, since: string | undefined): bigint | undefined {
  if (since === undefined) return undefined;
  if (!/^\d+$/.test(since)) {
    throw new BackendError(backend, `etcd v3 watch: "since" must be a revision number, got "${since}"`, { retryable: false });
  }
  return BigInt(since);
}

/** Half-close first: etcd3's own error hook only marks the host failed while the stream is writable. */
export function endStream(stream: WatchStream | undefined): void {
  if (!stream) return;
  try {
    stream.end();
    stream.cancel();
  } catch {
    // already closed
  }
}

/** The smallest byte range covering every prefix's range (an empty end means "to the last key"). */
export function spanningRange(prefixes: readonly KeyPath[]): { key: Buffer; end: Buffer } {
  const ranges = prefixes.map(prefixRange);
  let { key, end } = ranges[0];
  for (const r of ranges.slice(1)) {
    if (Buffer.compare(r.key, key) < 0) key = r.key;
    if (isToEnd(end) || isToEnd(r.end)) end = Buffer.from([0]);
    else if (Buffer.compare(r.end, end) > 0) end = r.end;
  }
  return { key, end };
}

/** etcd's range_end "\0": every key from `key` on. */
const isToEnd = (end: Buffer) => end.length === 1 && end[0] === 0;
