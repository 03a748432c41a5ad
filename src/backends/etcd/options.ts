/**
 * The `etcd` backend's TOML options (remco's names), their validation, and turning them into an
 * EtcdConnection (TLS files are read lazily, on first connect, relative to the config directory).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BackendError } from '../../errors.ts';
import { child, failAt, type At } from '../../schema/document.ts';
import type { SectionSchema } from '../../schema/types.ts';
import { systemClock, type Clock, type RetryPolicy } from '../../schedule/schedule.ts';
import { DEFAULT_BACKOFF, normalizeNodeUrl, type EtcdConnection } from './common.ts';

export type EtcdVersion = 2 | 3 | 'auto';

export interface EtcdOptions {
  readonly nodes: readonly string[];
  readonly version: EtcdVersion;
  readonly username?: string;
  readonly password?: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
  readonly clientCaKeys?: string;
  readonly requestTimeoutMs: number;
  readonly longPollMs: number;
  readonly watchdogMs: number;
  /** Not a TOML option: tests shorten the reconnect backoff. */
  readonly backoff?: RetryPolicy;
  /** Not a TOML option: tests drive the watchdog's time. */
  readonly clock?: Clock;
}

export const DEFAULT_NODE = 'http://127.0.0.1:2379';

export const ETCD_OPTIONS: SectionSchema = {
  title: '[resource.backend.etcd]',
  keys: {
    nodes: {
      type: 'string[]',
      default: [DEFAULT_NODE],
      description:
        'etcd endpoints, `http://host:port` or `host:port` (several = failover: a dead member does not stop reads or watches). `http://user:password@host:port` sets `username`/`password` (removed from the node, never logged).',
    },
    version: {
      type: 'choice',
      choices: ['auto', '2', '3', 'v2', 'v3'],
      default: 'auto',
      description:
        'etcd API: 3 (KV/gRPC, e.g. the fayrus/registrator fork), 2 (keys API, gliderlabs/registrator; etcd <= 3.5 with --enable-v2) or "auto": use v3 when it has keys under the prefixes, else v2 when it has.',
    },
    username: { type: 'string', description: 'User for etcd authentication (v3 auth token; v2 HTTP Basic).' },
    password: { type: 'string', secret: true, description: 'Password for `username`. Never logged.' },
    client_cert: { type: 'path', description: 'PEM client certificate for TLS (v3 only); relative to the config file.' },
    client_key: { type: 'path', secret: true, description: 'PEM private key for `client_cert` (v3 only); relative to the config file.' },
    client_ca_keys: { type: 'path', description: 'PEM CA bundle to verify the etcd servers (v3 only); relative to the config file.' },
    request_timeout: {
      type: 'duration',
      default: 10,
      min: 0.001,
      description:
        'How long one call to etcd may take before it fails over or errors: a read, a v3 probe, authentication, opening a watch. `run --onetime` against an endpoint that never answers fails after about this long per API tried.',
    },
    long_poll_timeout: {
      type: 'duration',
      default: 60,
      min: 0.001,
      description: 'v2 only: how long a watch long-poll is held before it is quietly re-armed at the same index (detects silently dead connections).',
    },
    watch_watchdog: {
      type: 'duration',
      default: 10,
      min: 0.05,
      description:
        'v3 only: the longest a watch stream may stay silent. After half of it without a word, keyplate asks etcd for a progress report; with no answer by the end, the stream is rebuilt on a fresh connection and resumes from the last delivered revision.',
    },
  },
};

/** Cross-option checks on validated values (defaults applied). */
export function finishEtcdOptions(v: Readonly<Record<string, unknown>>, at: At): EtcdOptions {
  const nodes = v.nodes as string[];
  if (nodes.length === 0) throw failAt(child(at, 'nodes'), 'expected at least one "host:port" or "http(s)://host:port"');
  nodes.forEach((n, i) => {
    if (n.trim() === '') throw failAt(child(at, 'nodes', i), 'expected "host:port" or "http(s)://host:port", got an empty string');
  });
  const fromUrls = credentialsFromNodes(nodes, at);
  const opts: EtcdOptions = {
    nodes: fromUrls.nodes,
    version: parseVersion(v.version as string),
    requestTimeoutMs: v.request_timeout as number,
    longPollMs: v.long_poll_timeout as number,
    watchdogMs: v.watch_watchdog as number,
  };
  // only what was written, so specs compare and print cleanly
  const written = { username: 'username', password: 'password', clientCert: 'client_cert', clientKey: 'client_key', clientCaKeys: 'client_ca_keys' } as const;
  for (const [field, key] of Object.entries(written)) if (v[key] !== undefined) Object.assign(opts, { [field]: v[key] });
  if (fromUrls.username !== undefined) {
    if (opts.username !== undefined && (opts.username !== fromUrls.username || (opts.password !== undefined && opts.password !== fromUrls.password))) {
      throw failAt(child(at, 'nodes'), 'credentials are given both in a node URL and as username/password, and they differ; give them once');
    }
    Object.assign(opts, { username: fromUrls.username }, fromUrls.password !== undefined ? { password: fromUrls.password } : {});
  }
  if ((opts.clientCert === undefined) !== (opts.clientKey === undefined)) {
    throw failAt(child(at, opts.clientCert ? 'client_key' : 'client_cert'), 'client_cert and client_key must be given together');
  }
  if (opts.password !== undefined && opts.username === undefined) throw failAt(child(at, 'password'), 'password needs a username');
  return opts;
}

/**
 * User-info in node URLs (`http://user:password@host:2379`) is used as the credentials, as etcdctl
 * users expect, and removed from the node: it never reaches a log line or a status page. Every
 * node that carries credentials must carry the same ones.
 */
function credentialsFromNodes(nodes: readonly string[], at: At): { nodes: string[]; username?: string; password?: string } {
  let creds: { username: string; password?: string } | undefined;
  const out = nodes.map((n, i) => {
    const m = /^([a-z][a-z0-9+.-]*:\/\/)?([^/@]*)@(.*)$/i.exec(n.trim());
    if (!m) return n;
    const [user, ...rest] = m[2].split(':');
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw failAt(child(at, 'nodes', i), 'the credentials in this node URL are not valid percent-encoding');
      }
    };
    const found = { username: decode(user), ...(rest.length > 0 ? { password: decode(rest.join(':')) } : {}) };
    if (found.username === '') throw failAt(child(at, 'nodes', i), 'a node URL with "@" needs a user name before it ("http://user:password@host:port")');
    if (creds !== undefined && (creds.username !== found.username || creds.password !== found.password)) {
      throw failAt(child(at, 'nodes', i), 'nodes carry different credentials; etcd authenticates one user per backend');
    }
    creds = found;
    return `${m[1] ?? ''}${m[3]}`;
  });
  return { nodes: out, ...creds };
}

function parseVersion(v: string): EtcdVersion {
  const s = v.replace(/^v/, '');
  return s === 'auto' ? 'auto' : (Number(s) as 2 | 3);
}

/** Resolve node URLs and read the TLS files. */
export async function buildConnection(
  name: string,
  opts: EtcdOptions,
  baseDir: string,
  signal?: AbortSignal,
): Promise<EtcdConnection> {
  const tlsFiles = { ca: opts.clientCaKeys, cert: opts.clientCert, key: opts.clientKey };
  const useTls = Object.values(tlsFiles).some((f) => f !== undefined);
  const read = async (label: string, file: string | undefined): Promise<Buffer | undefined> => {
    if (file === undefined) return undefined;
    const path = resolve(baseDir, file);
    try {
      return await readFile(path, { signal });
    } catch (e) {
      throw new BackendError(name, `etcd: cannot read ${label} file ${path}: ${(e as Error).message}`, {
        cause: e,
        retryable: false,
      });
    }
  };
  const tls = useTls
    ? {
        ca: await read('client_ca_keys', tlsFiles.ca),
        cert: await read('client_cert', tlsFiles.cert),
        key: await read('client_key', tlsFiles.key),
      }
    : undefined;
  return {
    name,
    nodes: opts.nodes.map((n) => normalizeNodeUrl(n, useTls)),
    username: opts.username,
    password: opts.password,
    tls,
    requestTimeoutMs: opts.requestTimeoutMs,
    longPollMs: opts.longPollMs,
    watchdogMs: opts.watchdogMs,
    backoff: opts.backoff ?? DEFAULT_BACKOFF,
    clock: opts.clock ?? systemClock,
  };
}
