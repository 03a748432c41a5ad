/**
 * confd's command line and its `-config-file` TOML, turned into the keyplate config they mean:
 * `confdir = <confdir>` (conf.d/*.toml + Go templates) reading from one
 * `[default_backends.<kind>]` built from -backend/-node/-prefix/-scheme/auth/TLS/-file, watched
 * (-watch) or polled every -interval seconds (confd's default 600). Flags win over the file.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { UsageError } from '../errors.ts';

export interface ConfdFlags {
  readonly backend?: string;
  readonly node?: readonly string[];
  readonly prefix?: string;
  readonly confdir?: string;
  readonly onetime?: boolean;
  readonly watch?: boolean;
  readonly interval?: string;
  readonly noop?: boolean;
  readonly syncOnly?: boolean;
  readonly keepStageFile?: boolean;
  readonly logLevel?: string;
  readonly scheme?: string;
  readonly basicAuth?: boolean;
  readonly username?: string;
  readonly password?: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
  readonly clientCaKeys?: string;
  readonly file?: readonly string[];
  readonly configFile?: string;
  readonly config?: string;
}

/** The settings confd would run with, after its config file and its flags. */
export interface ConfdSettings {
  readonly backend: string;
  readonly nodes: readonly string[];
  readonly prefix: string;
  readonly confdir: string;
  readonly onetime: boolean;
  readonly watch: boolean;
  readonly intervalSeconds: number;
  readonly noop: boolean;
  readonly syncOnly: boolean;
  readonly keepStageFile: boolean;
  readonly logLevel: string;
  readonly scheme: string;
  readonly username?: string;
  readonly password?: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
  readonly clientCaKeys?: string;
  readonly files: readonly string[];
}

const BACKENDS = ['etcd', 'etcdv3', 'env', 'file', 'rancher'] as const;

/** confd.toml keys keyplate understands (confd's spelling). */
const FILE_KEYS = new Set([
  'backend', 'nodes', 'prefix', 'confdir', 'onetime', 'watch', 'interval', 'noop', 'sync-only', 'keep-stage-file',
  'log-level', 'scheme', 'basic_auth', 'username', 'password', 'client_cert', 'client_key', 'client_cakeys', 'file',
]);

const LOG_LEVELS: Readonly<Record<string, string>> = { debug: 'debug', info: 'info', warn: 'warn', warning: 'warn', error: 'error', fatal: 'fatal', panic: 'fatal' };

async function readConfdFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read confd config file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
  }
  let data: Record<string, unknown>;
  try {
    data = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`${file}: not valid TOML: ${(e as Error).message}`, { cause: e });
  }
  const unknown = Object.keys(data).filter((k) => !FILE_KEYS.has(k));
  if (unknown.length > 0) throw new UsageError(`${file}: confd settings keyplate does not support: ${unknown.join(', ')}`);
  return data;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const list = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : undefined);

export async function confdSettings(flags: ConfdFlags, cwd: string): Promise<ConfdSettings> {
  const configFile = flags.configFile ?? flags.config;
  const f = configFile === undefined ? {} : await readConfdFile(resolve(cwd, configFile));
  const backend = flags.backend ?? str(f.backend) ?? 'etcd';
  if (!(BACKENDS as readonly string[]).includes(backend)) {
    throw new UsageError(`-backend ${backend}: keyplate confd supports ${BACKENDS.join(', ')} (for others, write a keyplate config)`);
  }
  const intervalText = flags.interval ?? str(f.interval) ?? '600';
  const intervalSeconds = Number(intervalText);
  if (!Number.isInteger(intervalSeconds) || intervalSeconds <= 0) throw new UsageError(`-interval ${intervalText}: expected a whole number of seconds`);
  const level = flags.logLevel ?? str(f['log-level']) ?? 'info';
  const logLevel = LOG_LEVELS[level.toLowerCase()];
  if (logLevel === undefined) throw new UsageError(`-log-level ${level}: expected debug, info, warn, error, fatal or panic`);
  const basicAuth = flags.basicAuth ?? bool(f.basic_auth) ?? false;
  const username = flags.username ?? str(f.username);
  const password = flags.password ?? str(f.password);
  return {
    backend,
    nodes: flags.node && flags.node.length > 0 ? flags.node : list(f.nodes) ?? [],
    prefix: flags.prefix ?? str(f.prefix) ?? '/',
    confdir: resolve(cwd, flags.confdir ?? str(f.confdir) ?? '/etc/confd'),
    onetime: flags.onetime ?? bool(f.onetime) ?? false,
    watch: flags.watch ?? bool(f.watch) ?? false,
    intervalSeconds,
    noop: flags.noop ?? bool(f.noop) ?? false,
    syncOnly: flags.syncOnly ?? bool(f['sync-only']) ?? false,
    keepStageFile: flags.keepStageFile ?? bool(f['keep-stage-file']) ?? false,
    logLevel,
    scheme: flags.scheme ?? str(f.scheme) ?? 'http',
    // confd sends credentials only with -basic-auth; keyplate's etcd backend takes them as given
    ...(basicAuth || username !== undefined ? { username, password } : {}),
    clientCert: flags.clientCert ?? str(f.client_cert),
    clientKey: flags.clientKey ?? str(f.client_key),
    clientCaKeys: flags.clientCaKeys ?? str(f.client_cakeys),
    files: (flags.file && flags.file.length > 0 ? flags.file : list(f.file) ?? []).map((p) => resolve(cwd, p)),
  };
}

const q = (s: string): string => JSON.stringify(s);
const arr = (xs: readonly string[]): string => `[${xs.map(q).join(', ')}]`;

/** A node as confd takes it: `host:port` gets `-scheme`. */
function withScheme(node: string, scheme: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(node) ? node : `${scheme}://${node}`;
}

/** The keyplate config (TOML text) these settings mean. */
export function confdConfigText(s: ConfdSettings): string {
  const kind = s.backend === 'etcdv3' ? 'etcd' : s.backend;
  const lines = [`log_level = ${q(s.logLevel)}`, `confdir = ${q(s.confdir)}`, '', `[default_backends.${kind}]`, `prefix = ${q(s.prefix)}`];
  if (s.watch && !s.onetime) lines.push('watch = true');
  else if (!s.onetime) lines.push(`interval = ${s.intervalSeconds}`);
  if (kind === 'etcd') {
    if (s.nodes.length > 0) lines.push(`nodes = ${arr(s.nodes.map((n) => withScheme(n, s.scheme)))}`);
    lines.push(`version = ${q(s.backend === 'etcdv3' ? '3' : 'auto')}`);
    if (s.username !== undefined) lines.push(`username = ${q(s.username)}`);
    if (s.password !== undefined) lines.push(`password = ${q(s.password)}`);
    if (s.clientCert !== undefined) lines.push(`client_cert = ${q(s.clientCert)}`);
    if (s.clientKey !== undefined) lines.push(`client_key = ${q(s.clientKey)}`);
    if (s.clientCaKeys !== undefined) lines.push(`client_ca_keys = ${q(s.clientCaKeys)}`);
  } else if (kind === 'file') {
    if (s.files.length === 0) throw new UsageError('-backend file needs at least one -file');
    lines.push(`files = ${arr(s.files)}`);
  } else if (kind === 'rancher' && s.nodes.length > 0) {
    lines.push(`api_host = ${q(withScheme(s.nodes[0], s.scheme))}`);
  }
  return `${lines.join('\n')}\n`;
}
