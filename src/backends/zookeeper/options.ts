/**
 * The `zookeeper` backend's options (remco's `nodes` for the ensemble) and the mapping between
 * keyplate's key paths and znode paths: a key is its znode's path (`/app/db/host`), below an
 * optional `chroot` the client applies to every path.
 */
import { child, failAt, type At } from '../../schema/document.ts';
import type { SectionSchema } from '../../schema/types.ts';

export interface ZooKeeperOptions {
  /** `host:port` members of the ensemble; the client picks one and moves on when it fails. */
  readonly nodes: readonly string[];
  /** `/base` every path is relative to (ZooKeeper's chroot), or undefined. */
  readonly chroot?: string;
  readonly username?: string;
  readonly password?: string;
  readonly sessionTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

export const ZOOKEEPER_OPTIONS: SectionSchema = {
  title: '[resource.backend.zookeeper]',
  keys: {
    nodes: {
      type: 'string[]',
      default: ['127.0.0.1:2181'],
      description: 'ZooKeeper ensemble members as `host:port` (the client connects to one and fails over to the others).',
    },
    chroot: { type: 'string', description: 'A znode every path is relative to (ZooKeeper\'s chroot), e.g. `/keyplate`.' },
    username: { type: 'string', description: 'User for digest authentication (`addauth digest user:password`).' },
    password: { type: 'string', secret: true, description: 'Password for `username`. Never logged.' },
    session_timeout: {
      type: 'duration',
      default: 10,
      min: 1,
      description: 'The session timeout asked of the server (it bounds it to 2–20 × its tickTime). After expiry the watch opens a new session and re-reads.',
    },
    request_timeout: { type: 'duration', default: 10, min: 0.001, description: 'How long connecting and one read may take.' },
  },
};

const NODE = /^[^\s/:,]+(:\d{1,5})?$/;

export function finishZooKeeperOptions(v: Readonly<Record<string, unknown>>, at: At): ZooKeeperOptions {
  const nodes = (v.nodes as string[]).map((n) => n.replace(/^zk:\/\//, ''));
  if (nodes.length === 0) throw failAt(child(at, 'nodes'), 'expected at least one "host:port"');
  nodes.forEach((n, i) => {
    if (!NODE.test(n)) throw failAt(child(at, 'nodes', i), `expected "host:port", got ${JSON.stringify(n)}`);
  });
  const opts: ZooKeeperOptions = {
    nodes: nodes.map((n) => (n.includes(':') ? n : `${n}:2181`)),
    sessionTimeoutMs: v.session_timeout as number,
    requestTimeoutMs: v.request_timeout as number,
  };
  const chroot = v.chroot as string | undefined;
  if (chroot !== undefined) {
    const clean = `/${chroot.split('/').filter(Boolean).join('/')}`;
    if (!chroot.startsWith('/') || /\/\.{1,2}(\/|$)/.test(chroot)) throw failAt(child(at, 'chroot'), `expected an absolute znode path like "/keyplate", got ${JSON.stringify(chroot)}`);
    if (clean !== '/') Object.assign(opts, { chroot: clean });
  }
  if (v.username !== undefined) Object.assign(opts, { username: v.username });
  if (v.password !== undefined) Object.assign(opts, { password: v.password });
  if ((opts.username === undefined) !== (opts.password === undefined)) throw failAt(child(at, opts.username ? 'password' : 'username'), 'username and password go together (digest authentication)');
  return opts;
}

/** The client's connection string: `h1:2181,h2:2181[/chroot]`. */
export function connectionString(o: ZooKeeperOptions): string {
  return `${o.nodes.join(',')}${o.chroot ?? ''}`;
}

/** ZooKeeper's own subtree (`/zookeeper/quota`, `/zookeeper/config`): never read as keys. */
export const RESERVED = '/zookeeper';
