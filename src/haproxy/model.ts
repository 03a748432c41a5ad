/**
 * The model of a rendered HAProxy configuration that the runtime/reload decision needs: every
 * section (for "anything else changed" checks), proxies with their balance algorithm and servers,
 * and the map files the config references with their entries.
 */
import { isAbsolute, resolve } from 'node:path';
import { isIP } from 'node:net';
import { lineKey, parseSections, sectionKey, type ConfigSection } from './config-parse.ts';

/** Absolute file path → contents. The config files, the map files they reference, and any other
 *  file whose change must trigger a reload (certificates, ACL pattern files ...). */
export type FileSnapshot = ReadonlyMap<string, string>;

export interface ServerModel {
  readonly name: string;
  /** The address token as written (`127.0.0.1:8080`, `app.internal:80`, `[::1]:80`, `unix@...`). */
  readonly address: string;
  /** Host part of `address` (brackets removed), and the numeric port if there is one. */
  readonly host: string;
  readonly port?: number;
  readonly id?: number;
  /** Configured weight; HAProxy's default is 1. */
  readonly weight?: number;
  /** `disabled` on the server line: starts in maintenance. */
  readonly disabled: boolean;
  /** Every other word of the line after the address, in order (without id/weight/disabled/enabled). */
  readonly options: readonly string[];
  readonly where: string;
}

export interface ProxyModel {
  readonly kind: 'backend' | 'listen';
  readonly name: string;
  /** Effective algorithm (own `balance`, else from its defaults, else roundrobin), e.g. `roundrobin`, `hdr`. */
  readonly balance: string;
  readonly hashConsistent: boolean;
  /** HAProxy 2.6 accepts `add server` only with a dynamic algorithm (BE_LB_PROP_DYN). */
  readonly dynamic: boolean;
  /** The proxy or its defaults has a `default-server` line (not applied to dynamic servers). */
  readonly hasDefaultServer: boolean;
  readonly servers: ReadonlyMap<string, ServerModel>;
  /** Canonical form of every non-`server` line, for "did anything else change". */
  readonly settingsKey: string;
}

export interface MapRef {
  /** The path exactly as written in the config: the name the Runtime API knows the map by. */
  readonly ref: string;
  /** The file on disk (resolved against HAProxy's working directory). */
  readonly file: string;
  /** Converters using it, e.g. `map`, `map_str`, `map_dom`. */
  readonly converters: ReadonlySet<string>;
  /** List-based matchers (map_dom, map_beg, map_reg ...) depend on line order; `map`/`map_str` do not. */
  readonly orderSensitive: boolean;
}

export type MapEntries = ReadonlyArray<readonly [key: string, value: string]>;

export interface HaproxyModel {
  readonly sections: readonly ConfigSection[];
  /** sectionKey() of every section except backend/listen, in order. */
  readonly otherSectionsKey: readonly string[];
  readonly proxies: ReadonlyMap<string, ProxyModel>;
  readonly mapRefs: ReadonlyMap<string, MapRef>;
  /** Map file (absolute) → entries, or undefined when the file is missing from the snapshot. */
  readonly maps: ReadonlyMap<string, MapEntries | undefined>;
  /** Files in the snapshot that are neither config nor referenced map: compared whole. */
  readonly otherFiles: ReadonlyMap<string, string>;
  /** Path of the first `stats socket <path> ... level admin` in global (resolved), if any. */
  readonly adminSocket?: string;
}

export interface BuildModelOptions {
  /** The `-f` files in order (absolute or relative to `cwd`). */
  readonly configFiles: readonly string[];
  /** HAProxy's working directory: relative paths in the config resolve against it. */
  readonly cwd: string;
}

const DYNAMIC_ALGOS = new Set(['roundrobin', 'leastconn', 'first', 'random']);
const ORDER_INSENSITIVE = new Set(['map', 'map_str']);
const MAP_RE = /(?:^|[^\w-])(map(?:_[a-z]+)?)\(([^,)]+)/g;

export function buildModel(snapshot: FileSnapshot, opts: BuildModelOptions): HaproxyModel {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(opts.cwd, p));
  const configPaths = opts.configFiles.map(abs);
  const sections = parseSections(configPaths.map((p) => ({ path: p, text: snapshot.get(p) ?? '' })));
  const proxies = buildProxies(sections);
  const mapRefs = findMapRefs(sections, abs);
  const maps = new Map<string, MapEntries | undefined>();
  for (const r of mapRefs.values()) {
    const text = snapshot.get(r.file);
    maps.set(r.file, text === undefined ? undefined : parseMapFile(text));
  }
  const otherFiles = new Map<string, string>();
  for (const [p, text] of snapshot) if (!configPaths.includes(p) && !maps.has(p)) otherFiles.set(p, text);
  const otherSectionsKey = sections.filter((s) => s.kind !== 'backend' && s.kind !== 'listen').map(sectionKey);
  const adminSocket = findAdminSocket(sections);
  return { sections, otherSectionsKey, proxies, mapRefs, maps, otherFiles, adminSocket: adminSocket && abs(adminSocket) };
}

/** Parse a map file as HAProxy does: key = first word, value = rest of the line (trimmed). */
export function parseMapFile(text: string): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^[ \t]+/, '').replace(/[ \t\r]+$/, '');
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+)(?:[ \t]+(.*))?$/.exec(line);
    if (m) out.push([m[1], m[2] ?? '']);
  }
  return out;
}

function buildProxies(sections: readonly ConfigSection[]): Map<string, ProxyModel> {
  const named = new Map<string, ConfigSection>();
  let lastDefaults: ConfigSection | undefined;
  const proxies = new Map<string, ProxyModel>();
  for (const s of sections) {
    if (s.kind === 'defaults') {
      lastDefaults = s;
      if (s.name) named.set(s.name, s);
      continue;
    }
    if (s.kind !== 'backend' && s.kind !== 'listen') continue;
    const defaults = s.from !== undefined ? named.get(s.from) : lastDefaults;
    proxies.set(s.name, buildProxy(s, defaults));
  }
  return proxies;
}

function buildProxy(s: ConfigSection, defaults: ConfigSection | undefined): ProxyModel {
  const find = (sec: ConfigSection | undefined, kw: string): readonly string[] | undefined =>
    sec?.lines.findLast((l) => l.tokens[0] === kw)?.tokens;
  const balanceLine = find(s, 'balance') ?? find(defaults, 'balance');
  const balance = (balanceLine?.[1] ?? 'roundrobin').replace(/\(.*$/, '');
  const hashType = find(s, 'hash-type') ?? find(defaults, 'hash-type');
  const hashConsistent = hashType?.[1] === 'consistent';
  const servers = new Map<string, ServerModel>();
  const settings: string[] = [];
  for (const l of s.lines) {
    if (l.tokens[0] === 'server' && l.tokens.length >= 3) {
      const srv = parseServerLine(l.tokens, l.where);
      servers.set(srv.name, srv);
    } else settings.push(lineKey(l.tokens));
  }
  const hasDefaultServer = [s, defaults].some((sec) => sec?.lines.some((l) => l.tokens[0] === 'default-server') ?? false);
  return {
    kind: s.kind as 'backend' | 'listen',
    name: s.name,
    balance,
    hashConsistent,
    dynamic: DYNAMIC_ALGOS.has(balance) || hashConsistent,
    hasDefaultServer,
    servers,
    settingsKey: [s.from ?? '', ...settings].join('\n'),
  };
}

/** `server <name> <address> [options...]` → ServerModel. */
export function parseServerLine(tokens: readonly string[], where = ''): ServerModel {
  const [, name, address] = tokens;
  const options: string[] = [];
  let id: number | undefined;
  let weight: number | undefined;
  let disabled = false;
  for (let i = 3; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === 'id' && /^\d+$/.test(tokens[i + 1] ?? '')) id = Number(tokens[++i]);
    else if (t === 'weight' && /^\d+$/.test(tokens[i + 1] ?? '')) weight = Number(tokens[++i]);
    else if (t === 'disabled') disabled = true;
    else if (t !== 'enabled') options.push(t);
  }
  return { name, address, ...splitAddress(address), id, weight, disabled, options, where };
}

function splitAddress(address: string): { host: string; port?: number } {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (bracket) return { host: bracket[1], port: bracket[2] ? Number(bracket[2]) : undefined };
  const i = address.lastIndexOf(':');
  if (i < 0 || address.includes('@')) return { host: address };
  const host = address.slice(0, i);
  const port = address.slice(i + 1);
  if (isIP(address) === 6) return { host: address };
  return /^\d+$/.test(port) ? { host, port: Number(port) } : { host: address };
}

function findMapRefs(sections: readonly ConfigSection[], abs: (p: string) => string): Map<string, MapRef> {
  const refs = new Map<string, { file: string; converters: Set<string> }>();
  for (const s of sections) {
    for (const l of s.lines) {
      for (const t of l.tokens) {
        for (const m of t.matchAll(MAP_RE)) {
          const ref = m[2].trim();
          const e = refs.get(ref) ?? { file: abs(ref), converters: new Set<string>() };
          e.converters.add(m[1]);
          refs.set(ref, e);
        }
      }
    }
  }
  const out = new Map<string, MapRef>();
  for (const [ref, e] of refs) {
    const orderSensitive = [...e.converters].some((c) => !ORDER_INSENSITIVE.has(c));
    out.set(ref, { ref, file: e.file, converters: e.converters, orderSensitive });
  }
  return out;
}

function findAdminSocket(sections: readonly ConfigSection[]): string | undefined {
  for (const s of sections) {
    if (s.kind !== 'global') continue;
    for (const l of s.lines) {
      const t = l.tokens;
      if (t[0] !== 'stats' || t[1] !== 'socket' || !t[2]) continue;
      const li = t.indexOf('level');
      if (li > 0 && t[li + 1] === 'admin' && !/^(ipv[46]@|[\d.]+:|:)/.test(t[2])) return t[2].replace(/^unix@/, '');
    }
  }
  return undefined;
}
