/** Small pieces of the v3 watch hub: where its client comes from, the `since` revision, ending a gRPC watch stream. */
import type { Etcd3, IDuplexStream, IWatchRequest, IWatchResponse } from 'etcd3';
import { BackendError } from '../../errors.ts';

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
