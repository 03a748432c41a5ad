/**
 * The rancher-haproxy routing model: which containers become which HAProxy servers, and which
 * host names map to which backend. Labels and names are written by whoever deploys a container,
 * so every value is validated here, before a template sees it: an invalid container is skipped
 * with a reason naming it, and the rest still routes. Nothing that reaches a template can carry a
 * newline, a `#`, a space or an extra word.
 */
import { isIP } from 'node:net';
import type { KeyTree } from '../tree/key-tree.ts';

export interface RancherRouteSettings {
  /** STACK_DOMAIN: hosts are `<stack>.<domain>` and `<alias>.<domain>`. */
  readonly domain: string;
  /** RANCHER_LABEL: containers carrying it are routed; its value is the backend port. */
  readonly label: string;
  /** RANCHER_PROXY_LABEL: its value (send-proxy, send-proxy-v2, ...) is appended to the server line. */
  readonly proxyLabel: string;
  /** Container states that are routed (default: running only). */
  readonly states: readonly string[];
  /** Where the containers list sits in the tree. */
  readonly containersKey?: string;
  /** Where the stack → aliases table sits in the tree. */
  readonly aliasesKey?: string;
}

export interface RancherServer {
  /** `<service>-<uuid>`: stable across renders, so the runtime API can add and remove it. */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** A validated HAProxy proxy-protocol keyword, or '' for none. */
  readonly proxy: string;
  readonly container: string;
}

export interface RancherBackend {
  /** Backend name: the lower-cased stack name. */
  readonly name: string;
  readonly stack: string;
  readonly servers: readonly RancherServer[];
}

export interface RancherMapEntry {
  readonly host: string;
  readonly backend: string;
}

export interface SkippedContainer {
  readonly container: string;
  /** A short, fixed reason (the `reason` label of keyplate_skipped_items), e.g. `bad port`. */
  readonly code: string;
  /** The details, naming the offending value. */
  readonly reason: string;
}

export interface RancherRoutes {
  /** Sorted by name; servers sorted by name. */
  readonly backends: readonly RancherBackend[];
  /** Most specific host first (more labels first, then alphabetical): map_dom takes the first match. */
  readonly map: readonly RancherMapEntry[];
  readonly skipped: readonly SkippedContainer[];
}

export const PROXY_KEYWORDS = ['send-proxy', 'send-proxy-v2', 'send-proxy-v2-ssl', 'send-proxy-v2-ssl-cn'] as const;

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const UUID = /^[0-9a-f][0-9a-f-]{0,63}$/i;

export function isDnsLabel(s: string): boolean {
  return LABEL.test(s);
}

/** One or more DNS labels joined by dots (lower case), at most 253 characters. */
export function isDnsName(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split('.').every(isDnsLabel);
}

/** A port written as a plain integer 1–65535 (no sign, no spaces, no trailing words). */
export function parsePort(raw: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n >= 1 && n <= 65535 ? n : undefined;
}

interface Candidate {
  readonly container: string;
  readonly stack: string;
  readonly server: RancherServer;
}

function readContainer(tree: KeyTree, base: string, name: string, s: RancherRouteSettings): Candidate | SkippedContainer | undefined {
  const at = (field: string) => tree.getv(`${base}/${name}/${field}`, '');
  const rawPort = tree.getv(`${base}/${name}/labels/${s.label}`, '\u0000');
  if (rawPort === '\u0000') return undefined; // not opted in
  const skip = (code: string, reason: string): SkippedContainer => ({ container: name, code, reason });
  const state = at('state');
  if (!s.states.includes(state)) return skip('state', `state is ${JSON.stringify(state)}, routed states are ${s.states.join(', ')}`);
  const stack = at('stack_name').toLowerCase();
  if (!isDnsLabel(stack)) return skip('bad stack name', `stack name ${JSON.stringify(at('stack_name'))} is not a valid DNS label`);
  const service = at('service_name').toLowerCase();
  if (!isDnsLabel(service)) return skip('bad service name', `service name ${JSON.stringify(at('service_name'))} is not a valid DNS label`);
  const uuid = at('uuid');
  if (!UUID.test(uuid)) return skip('bad uuid', `uuid ${JSON.stringify(uuid)} is not a uuid`);
  const ip = at('primary_ip');
  if (ip === '' || ip === 'null') return skip('no ip', 'does not yet have an ip address');
  if (isIP(ip) === 0) return skip('bad address', `primary_ip ${JSON.stringify(ip)} is not an IP address`);
  const port = parsePort(rawPort);
  if (port === undefined) return skip('bad port label', `label ${s.label}=${JSON.stringify(rawPort)} is not a port (an integer 1-65535)`);
  const proxy = tree.getv(`${base}/${name}/labels/${s.proxyLabel}`, '');
  if (proxy !== '' && !(PROXY_KEYWORDS as readonly string[]).includes(proxy)) {
    return skip('bad proxy label', `label ${s.proxyLabel}=${JSON.stringify(proxy)} is not one of ${PROXY_KEYWORDS.join(', ')}`);
  }
  const address = isIP(ip) === 6 ? `[${ip}]` : ip;
  return { container: name, stack, server: { name: `${service}-${uuid.toLowerCase()}`, address, port, proxy, container: name } };
}

function aliasesOf(tree: KeyTree, aliasesKey: string, stack: string, skipped: SkippedContainer[]): string[] {
  const out: string[] = [];
  for (const dir of tree.ls(aliasesKey)) {
    if (dir.toLowerCase() !== stack) continue;
    for (const p of tree.gets(`${aliasesKey}/${dir}/*`)) {
      const alias = p.value.toLowerCase();
      if (isDnsName(alias)) out.push(alias);
      else skipped.push({ container: `alias of stack ${stack}`, code: 'bad alias', reason: `alias ${JSON.stringify(p.value)} is not a valid DNS name` });
    }
  }
  return out;
}

/** Build the validated routing model from the key tree. Pure: logging is the caller's. */
export function rancherRoutes(tree: KeyTree, s: RancherRouteSettings): RancherRoutes {
  if (s.domain.trim().toLowerCase() === 'none') {
    // the image's default: "none" means unset, and its generator refuses to start
    throw new Error('STACK_DOMAIN is not set (it is "none", the default): set it to the domain the stacks are served under, e.g. dev.example.com');
  }
  if (!isDnsName(s.domain.toLowerCase())) {
    throw new Error(`STACK_DOMAIN ${JSON.stringify(s.domain)} is not a valid domain name (set STACK_DOMAIN, e.g. dev.example.com)`);
  }
  const domain = s.domain.toLowerCase();
  const base = s.containersKey ?? '/containers';
  const skipped: SkippedContainer[] = [];
  const stacks = new Map<string, Map<string, RancherServer>>();
  for (const name of tree.ls(base)) {
    const c = readContainer(tree, base, name, s);
    if (c === undefined) continue;
    if (!('server' in c)) {
      skipped.push(c);
      continue;
    }
    const servers = stacks.get(c.stack) ?? new Map<string, RancherServer>();
    if (servers.has(c.server.name)) skipped.push({ container: name, code: 'duplicate server', reason: `duplicate server ${c.server.name}` });
    else servers.set(c.server.name, c.server);
    stacks.set(c.stack, servers);
  }
  const backends = [...stacks.keys()].sort().map((stack) => ({
    name: stack,
    stack,
    servers: [...stacks.get(stack)!.values()].sort((a, b) => cmp(a.name, b.name)),
  }));
  const hosts = new Map<string, string>();
  for (const b of backends) hosts.set(`${b.stack}.${domain}`, b.name);
  for (const b of backends) {
    for (const alias of aliasesOf(tree, s.aliasesKey ?? '/self/service/metadata/aliases', b.stack, skipped)) {
      const host = `${alias}.${domain}`;
      const owner = hosts.get(host);
      if (owner !== undefined && owner !== b.name) skipped.push({ container: `alias of stack ${b.stack}`, code: 'duplicate host', reason: `${host} already routes to ${owner}` });
      else hosts.set(host, b.name);
    }
  }
  const map = [...hosts.entries()]
    .map(([host, backend]) => ({ host, backend }))
    .sort((a, b) => b.host.split('.').length - a.host.split('.').length || cmp(a.host, b.host));
  return { backends, map, skipped };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Booleans as operators write them: true/false, 1/0, yes/no, on/off (any case). */
export function parseFlag(raw: string | undefined, fallback: boolean, name = 'value'): boolean {
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new Error(`${name}=${JSON.stringify(raw)} is not a boolean (use true/false, 1/0, yes/no or on/off)`);
}
