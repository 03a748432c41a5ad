/**
 * The `redis` backend's options (remco's and confd's names where they have one) and the mapping
 * between keyplate's key paths and Redis key names: with the default separator `/` a key is its
 * path (`/app/db/host`); with confd's `separator = ":"` the leading `/` goes and `/` becomes the
 * separator (`app:db:host`).
 */
import { child, failAt, type At } from '../../schema/document.ts';
import type { SectionSchema } from '../../schema/types.ts';
import { normalizeKey, type KeyPath } from '../../tree/keys.ts';

export interface RedisOptions {
  /** `host:port` endpoints, tried in order on every (re)connect. */
  readonly nodes: readonly string[];
  readonly database: number;
  readonly separator: string;
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
  readonly clientCert?: string;
  readonly clientKey?: string;
  readonly clientCaKeys?: string;
  readonly requestTimeoutMs: number;
}

export const REDIS_OPTIONS: SectionSchema = {
  title: '[resource.backend.redis]',
  keys: {
    nodes: {
      type: 'string[]',
      default: ['127.0.0.1:6379'],
      description: 'Redis endpoints as `host:port` (several: the first that answers is used, the next on failure).',
    },
    database: { type: 'integer', default: 0, min: 0, max: 15, description: 'Database number (`SELECT`).' },
    separator: {
      type: 'string',
      default: '/',
      description: 'confd `-separator`: with `:` the key `/app/db/host` is the Redis key `app:db:host`; with `/` (default) keys are paths.',
    },
    username: { type: 'string', description: 'ACL user (Redis 6+); without it `password` is the `requirepass` password.' },
    password: { type: 'string', secret: true, description: 'Password for `username`, or the `requirepass` password. Never logged.' },
    tls: { type: 'boolean', default: false, description: 'Connect with TLS (implied by `client_ca_keys` or `client_cert`).' },
    client_cert: { type: 'path', description: 'PEM client certificate for TLS; relative to the config file.' },
    client_key: { type: 'path', secret: true, description: 'PEM private key for `client_cert`; relative to the config file.' },
    client_ca_keys: { type: 'path', description: 'PEM CA bundle to verify the server; relative to the config file.' },
    request_timeout: { type: 'duration', default: 10, min: 0.001, description: 'How long connecting may take.' },
  },
};

export function finishRedisOptions(v: Readonly<Record<string, unknown>>, at: At): RedisOptions {
  const nodes = v.nodes as string[];
  if (nodes.length === 0) throw failAt(child(at, 'nodes'), 'expected at least one "host:port"');
  nodes.forEach((n, i) => {
    if (!/^[^\s/:]+(:\d{1,5})?$/.test(n.replace(/^redis:\/\//, ''))) throw failAt(child(at, 'nodes', i), `expected "host:port", got ${JSON.stringify(n)}`);
  });
  const separator = v.separator as string;
  if (separator === '') throw failAt(child(at, 'separator'), 'must not be empty');
  const opts: RedisOptions = {
    nodes: nodes.map((n) => n.replace(/^redis:\/\//, '')),
    database: v.database as number,
    separator,
    tls: (v.tls as boolean) || v.client_ca_keys !== undefined || v.client_cert !== undefined,
    requestTimeoutMs: v.request_timeout as number,
  };
  const written = { username: 'username', password: 'password', clientCert: 'client_cert', clientKey: 'client_key', clientCaKeys: 'client_ca_keys' } as const;
  for (const [field, key] of Object.entries(written)) if (v[key] !== undefined) Object.assign(opts, { [field]: v[key] });
  if ((opts.clientCert === undefined) !== (opts.clientKey === undefined)) {
    throw failAt(child(at, opts.clientCert ? 'client_key' : 'client_cert'), 'client_cert and client_key must be given together');
  }
  if (opts.username !== undefined && opts.password === undefined) throw failAt(child(at, 'username'), 'username needs a password');
  return opts;
}

/** Key path → Redis key name. */
export function toRedisKey(key: KeyPath, separator: string): string {
  if (separator === '/') return key;
  return key.replace(/^\/+/, '').replaceAll('/', separator);
}

/** Redis key name → key path (confd's `clean`). */
export function fromRedisKey(name: string, separator: string): KeyPath {
  const path = separator === '/' ? name : name.replaceAll(separator, '/');
  return normalizeKey(path.startsWith('/') ? path : `/${path}`);
}

/** A literal for a SCAN/PSUBSCRIBE glob: `*?[]\` are escaped. */
export function globLiteral(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** A prefix as Redis names: its own key (`exact`) and a SCAN/PSUBSCRIBE glob for every key below it. */
export function prefixPatterns(prefix: KeyPath, separator: string): { readonly exact?: string; readonly below: string } {
  if (prefix === '/') return { below: '*' };
  const name = toRedisKey(prefix, separator);
  return { exact: name, below: `${globLiteral(name)}${globLiteral(separator)}*` };
}
