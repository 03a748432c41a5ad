/**
 * The `etcd` backend's TOML options (remco's names), their validation, and turning them into an
 * EtcdConnection (TLS files are read lazily, on first connect, relative to the config directory).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BackendError, ConfigError } from '../../errors.ts';
import { DEFAULT_BACKOFF, normalizeNodeUrl, type BackoffPolicy, type EtcdConnection } from './common.ts';
import type { OptionSpec } from '../contract.ts';

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
  /** Not a TOML option: tests shorten the reconnect backoff. */
  readonly backoff?: BackoffPolicy;
}

export const DEFAULT_NODE = 'http://127.0.0.1:2379';

export const ETCD_OPTION_SPECS: Readonly<Record<string, OptionSpec>> = {
  nodes: {
    type: 'string[]',
    description:
      'etcd endpoints, `http://host:port` or `host:port` (several = failover: a dead member does not stop reads or watches). Default ["http://127.0.0.1:2379"].',
  },
  version: {
    type: 'string|integer',
    description:
      'etcd API: 3 (KV/gRPC, e.g. the fayrus/registrator fork), 2 (keys API, gliderlabs/registrator; etcd <= 3.5 with --enable-v2) or "auto" (default): use v3 when it has keys under the prefixes, else v2 when it has.',
  },
  username: { type: 'string', description: 'User for etcd authentication (v3 auth token; v2 HTTP Basic).' },
  password: { type: 'string', description: 'Password for `username`. Never logged.', secret: true },
  client_cert: { type: 'string', description: 'PEM client certificate for TLS (v3 only); relative to the config file.' },
  client_key: { type: 'string', description: 'PEM private key for `client_cert` (v3 only); relative to the config file.', secret: true },
  client_ca_keys: { type: 'string', description: 'PEM CA bundle to verify the etcd servers (v3 only); relative to the config file.' },
  request_timeout: {
    type: 'number',
    description: 'Seconds one read (and one v3 probe) may take before it fails over or errors. Default 10.',
  },
  long_poll_timeout: {
    type: 'number',
    description:
      'v2 only: seconds a watch long-poll is held before it is quietly re-armed at the same index (detects silently dead connections). Default 60.',
  },
};

export function parseEtcdOptions(name: string, raw: Readonly<Record<string, unknown>>): EtcdOptions {
  const bad = (key: string, detail: string) => new ConfigError({ file: '<config>', key: `backend "${name}".${key}` }, detail);
  for (const key of Object.keys(raw)) {
    if (!(key in ETCD_OPTION_SPECS)) throw bad(key, `unknown etcd option (known: ${Object.keys(ETCD_OPTION_SPECS).join(', ')})`);
  }
  const nodes = raw.nodes === undefined ? [DEFAULT_NODE] : raw.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0 || nodes.some((n) => typeof n !== 'string' || n.trim() === '')) {
    throw bad('nodes', 'expected a non-empty list of "host:port" or "http(s)://host:port" strings');
  }
  const str = (key: string): string | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw bad(key, 'expected a string');
    return v;
  };
  const seconds = (key: string, dflt: number): number => {
    const v = raw[key];
    if (v === undefined) return dflt * 1000;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw bad(key, 'expected a positive number of seconds');
    return Math.round(v * 1000);
  };
  const opts: EtcdOptions = {
    nodes: nodes as string[],
    version: parseVersion(raw.version, bad),
    username: str('username'),
    password: str('password'),
    clientCert: str('client_cert'),
    clientKey: str('client_key'),
    clientCaKeys: str('client_ca_keys'),
    requestTimeoutMs: seconds('request_timeout', 10),
    longPollMs: seconds('long_poll_timeout', 60),
  };
  if ((opts.clientCert === undefined) !== (opts.clientKey === undefined)) {
    throw bad(opts.clientCert ? 'client_key' : 'client_cert', 'client_cert and client_key must be given together');
  }
  if (opts.password !== undefined && opts.username === undefined) throw bad('password', 'password needs a username');
  return opts;
}

function parseVersion(v: unknown, bad: (k: string, d: string) => ConfigError): EtcdVersion {
  if (v === undefined) return 'auto';
  const s = String(v).trim().toLowerCase().replace(/^v/, '');
  if (s === '2' || s === '3') return Number(s) as 2 | 3;
  if (s === 'auto') return 'auto';
  throw bad('version', `expected 2, 3 or "auto", got ${JSON.stringify(v)}`);
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
    backoff: opts.backoff ?? DEFAULT_BACKOFF,
  };
}
