/**
 * Why etcd canceled a v3 watcher, and what the hub does about it. etcd answers a watch create it
 * refuses with `created: true, canceled: true` and, since 3.4.x, watch id -1 (it matches no
 * watcher: the hub pairs it with the oldest create still unanswered, as etcd answers creates in
 * order). The reason is a text such as
 * `rpc error: code = Unauthenticated desc = etcdserver: invalid auth token`.
 */
export type CancelKind =
  /** History before the wanted revision is gone: resync, then watch from what etcd still has. */
  | 'compacted'
  /** The stream's auth token is no good (etcd restarted, the token expired, the auth store changed):
   *  a fresh client (new token, new connection), then the stream again. */
  | 'auth'
  /** Anything else (permission denied, …): an error the operator sees, this watcher retried with backoff. */
  | 'refused';

export function classifyCancel(res: { readonly compact_revision?: string; readonly cancel_reason?: string }): CancelKind {
  if (res.compact_revision && res.compact_revision !== '0') return 'compacted';
  const reason = res.cancel_reason ?? '';
  if (/compacted/i.test(reason)) return 'compacted';
  if (/invalid auth token|auth store is old|user name is empty|unauthenticated/i.test(reason)) return 'auth';
  return 'refused';
}
