/**
 * planApply(): what it takes to bring the running HAProxy from one model to another. Either
 * nothing, a list of Runtime API operations (no reload), or a reload, each with human reasons.
 * Rules follow HAProxy 2.6 (docs/haproxy.md, spec haproxy-runtime.md §3.1).
 */
import { isIP } from 'node:net';
import type { HaproxyModel, MapEntries, MapRef, ProxyModel, ServerModel } from './model.ts';
import { renderOp, type RuntimeOp } from './runtime-commands.ts';

export type ApplyMethod = 'none' | 'runtime' | 'reload';

export interface ApplyPlan {
  readonly method: ApplyMethod;
  /** Why: for `reload`, every change that needs one; for `runtime`, what will be changed. */
  readonly reasons: readonly string[];
  /** Runtime operations in execution order (empty unless method is `runtime`). */
  readonly ops: readonly RuntimeOp[];
  /** The CLI commands the ops stand for, for logs and dry runs. */
  readonly commands: readonly string[];
}

export interface PlanOptions {
  /** More map entry changes than this in one map → one atomic prepare/commit swap. Default 50. */
  readonly bulkMapThreshold?: number;
}

/** Server options HAProxy 2.6 refuses on `add server` (server.c keyword table). */
const NOT_DYNAMIC = new Set([
  'cookie', 'init-addr', 'max-reuse', 'namespace', 'non-stick', 'redir', 'resolve-net', 'resolve-opts',
  'resolve-prefer', 'resolvers', 'socks4', 'stick', 'log-proto', 'track',
]);

interface Acc {
  readonly reload: string[];
  readonly runtime: string[];
  readonly adds: RuntimeOp[];
  readonly sets: RuntimeOp[];
  readonly maps: RuntimeOp[];
  readonly dels: RuntimeOp[];
}

export function planApply(prev: HaproxyModel, next: HaproxyModel, opts: PlanOptions = {}): ApplyPlan {
  const acc: Acc = { reload: [], runtime: [], adds: [], sets: [], maps: [], dels: [] };
  diffStructure(prev, next, acc);
  for (const [name, np] of next.proxies) {
    const pp = prev.proxies.get(name);
    if (pp) diffServers(pp, np, acc);
  }
  for (const r of next.mapRefs.values()) diffMap(r, prev.maps.get(r.file), next.maps.get(r.file), acc, opts.bulkMapThreshold ?? 50);
  if (acc.reload.length > 0) {
    const extra = acc.runtime.length > 0 ? [`(${acc.runtime.length} runtime-capable change(s) are included in the reload)`] : [];
    return { method: 'reload', reasons: [...acc.reload, ...extra], ops: [], commands: [] };
  }
  const ops = [...acc.adds, ...acc.sets, ...acc.maps, ...acc.dels];
  if (ops.length === 0) return { method: 'none', reasons: [], ops, commands: [] };
  return { method: 'runtime', reasons: acc.runtime, ops, commands: ops.flatMap(renderOp) };
}

function diffStructure(prev: HaproxyModel, next: HaproxyModel, acc: Acc): void {
  const a = prev.otherSectionsKey;
  const b = next.otherSectionsKey;
  if (a.length !== b.length || a.some((k, i) => k !== b[i])) {
    const kinds = new Set<string>();
    const setA = new Set(a);
    const setB = new Set(b);
    for (const k of [...a.filter((x) => !setB.has(x)), ...b.filter((x) => !setA.has(x))]) {
      const [kind, name] = k.split('\n');
      kinds.add(name ? `${kind} ${name}` : kind);
    }
    acc.reload.push(kinds.size > 0 ? `changed: ${[...kinds].join(', ')}` : 'sections reordered');
  }
  for (const name of next.proxies.keys()) if (!prev.proxies.has(name)) acc.reload.push(`new ${next.proxies.get(name)?.kind} ${name}`);
  for (const name of prev.proxies.keys()) if (!next.proxies.has(name)) acc.reload.push(`removed ${prev.proxies.get(name)?.kind} ${name}`);
  for (const [name, np] of next.proxies) {
    const pp = prev.proxies.get(name);
    if (pp && pp.settingsKey !== np.settingsKey) acc.reload.push(`${np.kind} ${name}: settings other than servers changed`);
  }
  for (const ref of next.mapRefs.keys()) if (!prev.mapRefs.has(ref)) acc.reload.push(`map ${ref} newly referenced`);
  for (const r of next.mapRefs.values()) if (next.maps.get(r.file) === undefined) acc.reload.push(`map file ${r.file} is missing`);
  const files = new Set([...prev.otherFiles.keys(), ...next.otherFiles.keys()]);
  for (const f of files) if (prev.otherFiles.get(f) !== next.otherFiles.get(f)) acc.reload.push(`file ${f} changed`);
}

function diffServers(pp: ProxyModel, np: ProxyModel, acc: Acc): void {
  const changes: Array<() => void> = [];
  const why = (msg: string): void => void acc.reload.push(`${np.kind} ${np.name}: ${msg}`);
  const be = np.name;
  for (const [name, s] of np.servers) {
    const old = pp.servers.get(name);
    if (!old) {
      const bad = dynamicProblem(np, s);
      if (bad) why(`server ${name} added, but ${bad}`);
      else changes.push(() => addServer(acc, be, s));
      continue;
    }
    const upd = serverUpdate(old, s);
    if (upd === 'same') continue;
    if (upd === 'replace') {
      const bad = dynamicProblem(np, s);
      if (bad) why(`server ${name} options changed, but ${bad}`);
      else changes.push(() => replaceServer(acc, be, s));
      continue;
    }
    if (!np.dynamic && upd.weight !== undefined) why(`server ${name} weight changed, but balance ${np.balance} is static`);
    else changes.push(() => setServer(acc, be, name, upd));
  }
  for (const [name, previous] of pp.servers) {
    if (np.servers.has(name)) continue;
    changes.push(() => {
      acc.dels.push({ kind: 'server-del', backend: be, server: name, previous });
      acc.runtime.push(`server ${be}/${name} removed`);
    });
  }
  for (const c of changes) c();
}

/** Why a server cannot be created at runtime in this proxy, or undefined if it can. */
function dynamicProblem(p: ProxyModel, s: ServerModel): string | undefined {
  if (!p.dynamic) return `balance ${p.balance} is not dynamic (use a dynamic algorithm or hash-type consistent)`;
  if (p.hasDefaultServer) return 'default-server settings are not applied to runtime servers';
  if (s.port === undefined || isIP(s.host) === 0) return `address ${s.address} is not an IP:port (FQDNs are never resolved for runtime servers)`;
  const bad = s.options.find((o) => NOT_DYNAMIC.has(o));
  return bad ? `option '${bad}' is not accepted for dynamic servers` : undefined;
}

type ServerUpdate = 'same' | 'replace' | { addr?: { host: string; port?: number }; weight?: number; state?: 'ready' | 'maint' };

function serverUpdate(a: ServerModel, b: ServerModel): ServerUpdate {
  if (a.options.join('\0') !== b.options.join('\0') || a.id !== b.id) return 'replace';
  const u: { addr?: { host: string; port?: number }; weight?: number; state?: 'ready' | 'maint' } = {};
  if (a.address !== b.address) {
    if (b.port === undefined || isIP(b.host) === 0 || (a.port === undefined) !== (b.port === undefined)) return 'replace';
    u.addr = { host: b.host, port: b.port };
  }
  if ((a.weight ?? 1) !== (b.weight ?? 1)) u.weight = b.weight ?? 1;
  if (a.disabled !== b.disabled) u.state = b.disabled ? 'maint' : 'ready';
  return Object.keys(u).length === 0 ? 'same' : u;
}

function addServer(acc: Acc, be: string, s: ServerModel): void {
  acc.adds.push({ kind: 'server-add', backend: be, server: s });
  acc.runtime.push(`server ${be}/${s.name} added (${s.address})`);
}

function replaceServer(acc: Acc, be: string, s: ServerModel): void {
  acc.adds.push({ kind: 'server-del', backend: be, server: s.name, replacing: true }, { kind: 'server-add', backend: be, server: s });
  acc.runtime.push(`server ${be}/${s.name} re-created (options changed)`);
}

function setServer(acc: Acc, be: string, name: string, u: Exclude<ServerUpdate, 'same' | 'replace'>): void {
  acc.sets.push({ kind: 'server-set', backend: be, server: name, ...u });
  const what = [u.addr && 'address', u.weight !== undefined && 'weight', u.state && `state ${u.state}`].filter(Boolean);
  acc.runtime.push(`server ${be}/${name}: ${what.join(', ')} changed`);
}

function diffMap(r: MapRef, a: MapEntries | undefined, b: MapEntries | undefined, acc: Acc, bulk: number): void {
  if (a === undefined || b === undefined || sameEntries(a, b)) return;
  const before = new Map(a);
  const after = new Map(b);
  const dupes = before.size !== a.length || after.size !== b.length;
  const ops: RuntimeOp[] = [];
  for (const [k, v] of after) {
    if (!before.has(k)) ops.push({ kind: 'map-add', map: r.ref, key: k, value: v });
    else if (before.get(k) !== v) ops.push({ kind: 'map-set', map: r.ref, key: k, value: v });
  }
  for (const k of before.keys()) if (!after.has(k)) ops.push({ kind: 'map-del', map: r.ref, key: k });
  if (ops.length === 0 && !dupes && !r.orderSensitive) return; // reordered lines of an exact-match map: no effect
  if (dupes || ops.length === 0 || ops.length > bulk || (r.orderSensitive && !appendOnly(a, b))) {
    acc.maps.push({ kind: 'map-replace', map: r.ref, entries: b });
    acc.runtime.push(`map ${r.ref}: replaced atomically (${b.length} entries)`);
    return;
  }
  acc.maps.push(...ops);
  const n = (k: RuntimeOp['kind']): number => ops.filter((o) => o.kind === k).length;
  acc.runtime.push(`map ${r.ref}: ${n('map-add')} added, ${n('map-set')} changed, ${n('map-del')} removed`);
}

function sameEntries(a: MapEntries, b: MapEntries): boolean {
  return a.length === b.length && a.every(([k, v], i) => b[i][0] === k && b[i][1] === v);
}

/** True when `b` is `a` with entries removed, changed in place, or appended at the end: the list
 *  order HAProxy ends up with after del/set/add equals the file order. */
function appendOnly(a: MapEntries, b: MapEntries): boolean {
  const bKeys = new Set(b.map(([k]) => k));
  const kept = a.filter(([k]) => bKeys.has(k)).map(([k]) => k);
  return kept.every((k, i) => b[i]?.[0] === k);
}
