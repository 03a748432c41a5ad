/**
 * `--backend` URIs for ad-hoc renders and key dumps: `file:data.yaml`, `env:`, `etcd://h1:2379,h2:2379`,
 * `etcdv2://host:2379`, `etcdv3://host:2379`, `rancher://host`, `redis://[user:pass@]host:6379[/db]`, `nats://[token@]host:4222/bucket`,
 * `zk://[user:pass@]host:2181[,host:2181][/chroot]`, `memory:`; further options as a query
 * string (`etcd://h:2379?username=u`). The options go through the backend's own schema, exactly as
 * if they were written in a config file.
 */
import { findBackendDefinition } from '../backends/registry.ts';
import type { Env } from '../backends/contract.ts';
import { parseOptions } from '../backends/options.ts';
import type { BackendSpec } from '../config/types.ts';
import { isAppError, UsageError } from '../errors.ts';
import { normalizeKey, ROOT, type KeyPath } from '../tree/keys.ts';
import type { TomlTable } from '../schema/document.ts';

const ALIASES: Record<string, { kind: string; options?: TomlTable }> = {
  etcdv2: { kind: 'etcd', options: { version: '2' } },
  etcdv3: { kind: 'etcd', options: { version: '3' } },
  zk: { kind: 'zookeeper' },
};

/** What the part after `scheme:` means for each kind. */
const LOCATION: Record<string, (rest: string) => TomlTable> = {
  file: (rest) => ({ filepath: rest }),
  etcd: (rest) => ({ nodes: rest.split(',').map((h) => (/^https?:\/\//.test(h) ? h : `http://${h}`)) }),
  rancher: (rest) => ({ api_host: rest }),
  redis: redisLocation,
  nats: natsLocation,
  zookeeper: zookeeperLocation,
};

/** `[user:password@]host:port[,host:port...][/chroot]`, as a ZooKeeper connection string (the path is its chroot). */
function zookeeperLocation(rest: string): TomlTable {
  const out: TomlTable = {};
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const [user, ...pass] = rest.slice(0, at).split(':');
    Object.assign(out, { username: decodeURIComponent(user), password: decodeURIComponent(pass.join(':')) });
    rest = rest.slice(at + 1);
  }
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    if (rest.slice(slash).replace(/\/+$/, '') !== '') out.chroot = rest.slice(slash);
    rest = rest.slice(0, slash);
  }
  if (rest !== '') out.nodes = rest.split(',');
  return out;
}

/** `[user:password@|token@]host:port[,host:port...]/bucket`. */
function natsLocation(rest: string): TomlTable {
  const out: TomlTable = {};
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const [user, ...pass] = rest.slice(0, at).split(':');
    if (pass.length > 0) Object.assign(out, { username: decodeURIComponent(user), password: decodeURIComponent(pass.join(':')) });
    else out.token = decodeURIComponent(user);
    rest = rest.slice(at + 1);
  }
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    if (rest.slice(slash + 1) !== '') out.bucket = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  if (rest !== '') out.servers = rest.split(',');
  return out;
}

/** `[user[:password]@]host:port[,host:port...][/db]`, as redis:// URLs write it. */
function redisLocation(rest: string): TomlTable {
  const out: TomlTable = {};
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const [user, ...pass] = rest.slice(0, at).split(':');
    if (pass.length > 0) out.password = decodeURIComponent(pass.join(':'));
    if (user !== '') out.username = decodeURIComponent(user);
    rest = rest.slice(at + 1);
  }
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    if (rest.slice(slash + 1) !== '') out.database = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  if (rest !== '') out.nodes = rest.split(',');
  return out;
}

export function parseBackendUri(uri: string, common: { prefix?: string; keys?: readonly string[]; index?: number } = {}, env: Env = {}): BackendSpec {
  const m = /^([a-z0-9]+):(.*)$/i.exec(uri);
  if (!m) throw new UsageError(`--backend ${uri}: expected KIND:..., e.g. file:data.yaml, env:, etcd://127.0.0.1:2379, rancher://host`);
  const scheme = m[1].toLowerCase();
  const alias = ALIASES[scheme];
  const def = findBackendDefinition(alias?.kind ?? scheme);
  if (!def) throw new UsageError(`--backend ${uri}: unknown backend "${scheme}" (known: file, env, etcd, etcdv2, etcdv3, rancher, redis, nats, zookeeper, zk, memory)`);
  let rest = m[2].startsWith('//') ? m[2].slice(2) : m[2];
  const q = rest.indexOf('?');
  const query = q >= 0 ? new URLSearchParams(rest.slice(q + 1)) : new URLSearchParams();
  if (q >= 0) rest = rest.slice(0, q);
  const raw: TomlTable = { ...alias?.options, ...(rest ? LOCATION[def.kind]?.(rest) : {}) };
  for (const [k, v] of query) raw[k] = def.options.keys[k]?.type === 'string[]' ? v.split(',') : v;
  let options: unknown;
  try {
    options = parseOptions(def, raw, `--backend ${uri}`, env);
  } catch (e) {
    throw isAppError(e) ? new UsageError(e.message, { cause: e }) : e;
  }
  const keys = (common.keys?.length ? common.keys : ['/']).map((k) => normalizeKey(k));
  return {
    kind: def.kind,
    name: common.index ? `${def.kind}${common.index + 1}` : def.kind,
    prefix: common.prefix ? normalizeKey(common.prefix) : ROOT,
    keys,
    watchKeys: [] as KeyPath[],
    watch: false,
    onetime: true,
    options,
    origin: { file: '<command line>' },
  };
}
