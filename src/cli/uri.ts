/**
 * `--backend` URIs for ad-hoc renders and key dumps: `file:data.yaml`, `env:`, `etcd://h1:2379,h2:2379`,
 * `etcdv2://host:2379`, `etcdv3://host:2379`, `rancher://host`, `memory:`; further options as a query
 * string (`etcd://h:2379?username=u`), typed by the backend's own option table.
 */
import { findBackendDefinition } from '../backends/registry.ts';
import type { BackendKind, OptionSpec } from '../backends/contract.ts';
import type { BackendSpec } from '../config/types.ts';
import { UsageError } from '../errors.ts';
import { normalizeKey, ROOT, type KeyPath } from '../tree/keys.ts';

const ALIASES: Record<string, { kind: BackendKind; options?: Record<string, unknown> }> = {
  etcdv2: { kind: 'etcd', options: { version: 2 } },
  etcdv3: { kind: 'etcd', options: { version: 3 } },
};

export function parseBackendUri(uri: string, common: { prefix?: string; keys?: readonly string[]; index?: number } = {}): BackendSpec {
  const m = /^([a-z0-9]+):(.*)$/i.exec(uri);
  if (!m) throw new UsageError(`--backend ${uri}: expected KIND:..., e.g. file:data.yaml, env:, etcd://127.0.0.1:2379, rancher://host`);
  const scheme = m[1].toLowerCase();
  const alias = ALIASES[scheme];
  const kind = alias?.kind ?? scheme;
  const def = findBackendDefinition(kind);
  if (!def) throw new UsageError(`--backend ${uri}: unknown backend "${scheme}" (known: file, env, etcd, etcdv2, etcdv3, rancher, memory)`);
  let rest = m[2].startsWith('//') ? m[2].slice(2) : m[2];
  const q = rest.indexOf('?');
  const query = q >= 0 ? new URLSearchParams(rest.slice(q + 1)) : new URLSearchParams();
  if (q >= 0) rest = rest.slice(0, q);
  const options: Record<string, unknown> = { ...(alias?.options ?? {}) };
  if (kind === 'file' && rest) options.filepath = rest;
  if (kind === 'etcd' && rest) options.nodes = rest.split(',').map((h) => (/^https?:\/\//.test(h) ? h : `http://${h}`));
  if (kind === 'rancher' && rest) options.api_host = rest;
  for (const [k, v] of query) {
    const spec = def.options[k];
    if (!spec) throw new UsageError(`--backend ${uri}: unknown option "${k}" for ${kind} (known: ${Object.keys(def.options).join(', ') || 'none'})`);
    options[k] = coerce(spec, v, uri, k);
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

function coerce(spec: OptionSpec, v: string, uri: string, key: string): unknown {
  switch (spec.type) {
    case 'integer':
    case 'number': {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new UsageError(`--backend ${uri}: ${key} must be a number`);
      return n;
    }
    case 'string|integer':
      return /^\d+$/.test(v) ? Number(v) : v;
    case 'boolean':
      return ['1', 'true', 'yes'].includes(v.toLowerCase());
    case 'string[]':
      return v.split(',');
    default:
      return v;
  }
}
