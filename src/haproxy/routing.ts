/**
 * The live routing table, read from HAProxy itself (not from the rendered files): every map
 * HAProxy has loaded (`show map`) with its entries, host → backend, and every backend
 * (`show backend`) with its servers and their state (`show servers state`). So the status page
 * shows what HAProxy serves.
 */
import { ADMIN_FORCED_MAINT, parseServersState, parseShowMap, type ServerState } from './runtime-answers.ts';
import type { CliClient } from './runtime.ts';
import { cliArg } from './runtime-socket.ts';

export type ServerStatus = 'UP' | 'DOWN' | 'MAINT' | 'DRAIN' | 'STARTING' | 'STOPPING';

export interface RoutedServer {
  readonly name: string;
  readonly id: number;
  readonly address: string;
  readonly status: ServerStatus;
  readonly weight: number;
}

export interface RoutedBackend {
  readonly name: string;
  readonly servers: readonly RoutedServer[];
}

export interface Route {
  /** The map key (a host name, or a domain for map_dom). */
  readonly host: string;
  readonly backend: string;
  /** The map file HAProxy knows the entry from. */
  readonly map: string;
  /** False when HAProxy has no backend of that name (requests would fail). */
  readonly exists: boolean;
}

export interface RoutingTable {
  readonly routes: readonly Route[];
  /** Every backend HAProxy runs, in HAProxy's order. */
  readonly backends: readonly RoutedBackend[];
}

/** HAProxy's admin state bits (srv_admin_state): maintenance (forced, inherited, config, resolver, health), drain. */
const ADMIN_MAINT = ADMIN_FORCED_MAINT | 0x02 | 0x04 | 0x20 | 0x40;
const ADMIN_DRAIN = 0x08 | 0x10;

export function serverStatus(s: Pick<ServerState, 'opState' | 'adminState'>): ServerStatus {
  if (s.adminState & ADMIN_MAINT) return 'MAINT';
  if (s.adminState & ADMIN_DRAIN) return 'DRAIN';
  switch (s.opState) {
    case 0:
      return 'DOWN';
    case 1:
      return 'STARTING';
    case 3:
      return 'STOPPING';
    default:
      return 'UP';
  }
}

/** `show map` without argument: the maps HAProxy has loaded, by the file name it knows them by. */
export function parseMapList(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^-?\d+\s+\(([^)]+)\)/.exec(line.trim());
    if (m && !out.includes(m[1])) out.push(m[1]);
  }
  return out;
}

/** `show backend`: one backend name per line after the `# name` header. */
export function parseBackendList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** `show info`: `Name: value` lines. */
export function parseShowInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

function bracket(addr: string): string {
  return addr.includes(':') ? `[${addr}]` : addr;
}

/** Read the routing table through the admin (or master `@1`) socket. Throws HaproxySocketError. */
export async function readRoutingTable(client: CliClient, signal?: AbortSignal): Promise<RoutingTable> {
  const opts = { signal };
  const [mapList, backendList, states] = await Promise.all([client('show map', opts), client('show backend', opts), client('show servers state', opts)]);
  const servers = new Map<string, RoutedServer[]>();
  for (const s of parseServersState(states)) {
    const list = servers.get(s.backend) ?? [];
    list.push({ name: s.name, id: s.id, address: `${bracket(s.addr)}:${s.port}`, status: serverStatus(s), weight: s.weight });
    servers.set(s.backend, list);
  }
  const names = parseBackendList(backendList).filter((n) => !n.startsWith('MASTER') && n !== 'GLOBAL');
  const backends = names.map((name) => ({ name, servers: servers.get(name) ?? [] }));
  const routes: Route[] = [];
  for (const map of parseMapList(mapList)) {
    const entries = parseShowMap(await client(`show map ${cliArg(map)}`, opts));
    for (const [host, backend] of entries) routes.push({ host, backend, map, exists: names.includes(backend) });
  }
  return { routes, backends };
}
