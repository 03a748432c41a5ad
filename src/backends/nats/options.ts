/**
 * The `nats` backend's options: a NATS JetStream key-value bucket, keys as subject-style paths
 * (`app.db.host` is `/app/db/host`), with token, user/password or credentials-file auth and TLS.
 */
import { child, failAt, type At } from '../../schema/document.ts';
import type { SectionSchema } from '../../schema/types.ts';
import { normalizeKey, type KeyPath } from '../../tree/keys.ts';

export interface NatsOptions {
  readonly servers: readonly string[];
  readonly bucket: string;
  readonly token?: string;
  readonly username?: string;
  readonly password?: string;
  readonly credentials?: string;
  readonly tls: boolean;
  readonly clientCert?: string;
  readonly clientKey?: string;
  readonly clientCaKeys?: string;
  readonly requestTimeoutMs: number;
}

export const NATS_OPTIONS: SectionSchema = {
  title: '[resource.backend.nats]',
  keys: {
    servers: { type: 'string[]', default: ['127.0.0.1:4222'], description: 'NATS servers as `host:port` or `nats://host:port` (the client fails over between them).' },
    bucket: { type: 'string', required: true, description: 'The JetStream key-value bucket to read (it must exist).' },
    token: { type: 'string', secret: true, description: 'Token authentication. Never logged.' },
    username: { type: 'string', description: 'User for user/password authentication.' },
    password: { type: 'string', secret: true, description: 'Password for `username`. Never logged.' },
    credentials: { type: 'path', secret: true, description: 'A `.creds` file (JWT and NKey seed) for decentralized auth; relative to the config file.' },
    tls: { type: 'boolean', default: false, description: 'Require TLS (implied by `client_ca_keys` or `client_cert`).' },
    client_cert: { type: 'path', description: 'PEM client certificate for TLS; relative to the config file.' },
    client_key: { type: 'path', secret: true, description: 'PEM private key for `client_cert`; relative to the config file.' },
    client_ca_keys: { type: 'path', description: 'PEM CA bundle to verify the servers; relative to the config file.' },
    request_timeout: { type: 'duration', default: 10, min: 0.001, description: 'How long connecting and one request may take.' },
  },
};

export function finishNatsOptions(v: Readonly<Record<string, unknown>>, at: At): NatsOptions {
  const servers = v.servers as string[];
  if (servers.length === 0) throw failAt(child(at, 'servers'), 'expected at least one "host:port"');
  const bucket = v.bucket as string | undefined;
  if (bucket === undefined) throw failAt(child(at, 'bucket'), 'the nats backend needs `bucket` (a JetStream key-value bucket)');
  if (!/^[-\w]+$/.test(bucket)) throw failAt(child(at, 'bucket'), `not a bucket name (letters, digits, - and _): ${JSON.stringify(bucket)}`);
  const opts: NatsOptions = {
    servers,
    bucket,
    tls: (v.tls as boolean) || v.client_ca_keys !== undefined || v.client_cert !== undefined,
    requestTimeoutMs: v.request_timeout as number,
  };
  const written = { token: 'token', username: 'username', password: 'password', credentials: 'credentials', clientCert: 'client_cert', clientKey: 'client_key', clientCaKeys: 'client_ca_keys' } as const;
  for (const [field, key] of Object.entries(written)) if (v[key] !== undefined) Object.assign(opts, { [field]: v[key] });
  if ((opts.clientCert === undefined) !== (opts.clientKey === undefined)) {
    throw failAt(child(at, opts.clientCert ? 'client_key' : 'client_cert'), 'client_cert and client_key must be given together');
  }
  if ((opts.username === undefined) !== (opts.password === undefined)) throw failAt(child(at, opts.username ? 'password' : 'username'), 'username and password go together');
  const auths = [opts.token, opts.username, opts.credentials].filter((x) => x !== undefined).length;
  if (auths > 1) throw failAt(at, 'use one of token, username/password or credentials');
  return opts;
}

/** `/app/db/host` → `app.db.host`. */
export function toNatsKey(key: KeyPath): string {
  return key.replace(/^\/+/, '').replaceAll('/', '.');
}

/** `app.db.host` → `/app/db/host`. */
export function fromNatsKey(key: string): KeyPath {
  return normalizeKey(`/${key.replaceAll('.', '/')}`);
}
