/**
 * Renders a World into the tree one API version serves to one caller, like rancher-metadata's
 * generator (rancher-haproxy.md §2.2/§2.4): V1 (`2015-07-25`) lists service containers and stack
 * services as names, V2/V3 as full objects; V3 (`2016-07-29`, = `latest`) lower-cases names and
 * prefixes unbound ports with `0.0.0.0:`, V1/V2 put the host IP there and carry `hostId`.
 */
import type { ContainerRecord, HostRecord, ServiceRecord, StackRecord, World } from './world.ts';

export const API_VERSIONS = ['2015-07-25', '2015-12-19', '2016-07-29'] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];
export const LATEST: ApiVersion = '2016-07-29';

/** `latest` → the newest dated version; unknown → undefined (the server answers 404 `Invalid version`). */
export function resolveVersion(v: string): ApiVersion | undefined {
  if (v === 'latest') return LATEST;
  return (API_VERSIONS as readonly string[]).includes(v) ? (v as ApiVersion) : undefined;
}

type Obj = Record<string, unknown>;

interface Ctx {
  readonly world: World;
  readonly v: ApiVersion;
}

const lower = (ctx: Ctx, s: string | null): string | null => (s !== null && ctx.v === '2016-07-29' ? s.toLowerCase() : s);

/** The whole tree of one version as seen by `callerIp` (its `self`, when the world names one). */
export function renderTree(world: World, version: ApiVersion, revision: string, callerIp: string): Obj {
  const ctx: Ctx = { world, v: version };
  const tree: Obj = {
    containers: world.containers.map((c) => container(ctx, c)),
    hosts: world.hosts.map((h, i) => host(ctx, h, i)),
    services: world.services.map((s) => service(ctx, s, false)),
    stacks: world.stacks.map((s) => stack(ctx, s)),
    version: revision,
  };
  const self = selfEntry(ctx, callerIp);
  if (self) tree.self = self;
  return tree;
}

function selfEntry(ctx: Ctx, callerIp: string): Obj | undefined {
  const ref = ctx.world.self[callerIp] ?? ctx.world.self['*'];
  if (ref === undefined) return undefined;
  const c = ctx.world.containers.find((x) => x.name === ref || x.uuid === ref);
  if (!c) return undefined;
  const out: Obj = { container: container(ctx, c) };
  const svc = ctx.world.services.find((s) => s.stack_name === c.stack_name && s.name === c.service_name);
  if (svc) out.service = service(ctx, svc, true);
  const stk = ctx.world.stacks.find((s) => s.name === c.stack_name);
  if (stk) out.stack = stack(ctx, stk);
  const hostIndex = ctx.world.hosts.findIndex((h) => h.uuid === c.host_uuid);
  if (hostIndex >= 0) out.host = host(ctx, ctx.world.hosts[hostIndex], hostIndex);
  return out;
}

function hostOf(ctx: Ctx, c: ContainerRecord): HostRecord | undefined {
  return ctx.world.hosts.find((h) => h.uuid === c.host_uuid);
}

function port(ctx: Ctx, p: string, hostIp: string): string {
  if (p.split(':').length >= 3) return p;
  return `${ctx.v === '2016-07-29' ? '0.0.0.0' : hostIp}:${p}`;
}

function container(ctx: Ctx, c: ContainerRecord): Obj {
  const h = hostOf(ctx, c);
  const svc = ctx.world.services.find((s) => s.stack_name === c.stack_name && s.name === c.service_name);
  const stk = ctx.world.stacks.find((s) => s.name === c.stack_name);
  const dnsSearch = c.stack_name
    ? [`${c.stack_name}.rancher.internal`, `${c.service_name}.${c.stack_name}.rancher.internal`, 'rancher.internal']
    : ['rancher.internal'];
  return {
    create_index: c.create_index,
    dns: ['169.254.169.250'],
    dns_search: dnsSearch.map((d) => d.toLowerCase()),
    environment_uuid: ctx.world.environment_uuid,
    external_id: c.uuid.replaceAll('-', '').repeat(2),
    health_check_hosts: [],
    health_state: null,
    host_uuid: c.host_uuid,
    hostname: c.name,
    ips: c.primary_ip ? [c.primary_ip] : [],
    labels: { ...c.labels },
    links: {},
    memory_reservation: null,
    milli_cpu_reservation: null,
    name: lower(ctx, c.name),
    network_from_container_uuid: null,
    network_uuid: 'b4f1c2d3-managed-network',
    ports: c.ports.map((p) => port(ctx, p, h?.agent_ip ?? '0.0.0.0')),
    primary_ip: c.primary_ip,
    primary_mac_address: c.primary_ip ? `02:${c.uuid.slice(0, 2)}:${c.uuid.slice(2, 4)}:6a:1b:2c` : null,
    service_index: c.service_index,
    service_name: lower(ctx, c.service_name),
    service_uuid: svc?.uuid ?? null,
    stack_name: lower(ctx, c.stack_name),
    stack_uuid: stk?.uuid ?? null,
    start_count: 1,
    state: c.state,
    system: false,
    uuid: c.uuid,
    ...c.extra,
  };
}

function service(ctx: Ctx, s: ServiceRecord, isSelf: boolean): Obj {
  const members = ctx.world.containers.filter((c) => c.stack_name === s.stack_name && c.service_name === s.name);
  const stk = ctx.world.stacks.find((x) => x.name === s.stack_name);
  // Service metadata is service-wide: a sidekick launch config sees its primary's metadata.
  const primary = ctx.world.services.find((x) => x.stack_name === s.stack_name && x.name === s.primary_service_name);
  const out: Obj = {
    containers: members.map((c) => (ctx.v === '2015-07-25' ? c.name : container(ctx, c))),
    create_index: 1,
    environment_uuid: ctx.world.environment_uuid,
    expose: [],
    external_ips: [],
    fqdn: null,
    health_check: null,
    hostname: null,
    kind: s.kind,
    labels: { ...s.labels },
    lb_config: null,
    links: {},
    metadata: structuredClone((primary ?? s).metadata),
    name: lower(ctx, s.name),
    ports: [...s.ports],
    primary_service_name: lower(ctx, s.primary_service_name),
    scale: s.scale,
    sidekicks: s.sidekicks.map((k) => lower(ctx, k)),
    stack_name: lower(ctx, s.stack_name),
    stack_uuid: stk?.uuid ?? null,
    state: s.state,
    system: false,
    uuid: s.uuid,
    vip: null,
    ...s.extra,
  };
  if (isSelf) out.token = s.token;
  return out;
}

function stack(ctx: Ctx, s: StackRecord): Obj {
  const services = ctx.world.services.filter((x) => x.stack_name === s.name);
  return {
    environment_name: ctx.world.environment_name,
    environment_uuid: ctx.world.environment_uuid,
    name: lower(ctx, s.name),
    services: services.map((x) => (ctx.v === '2015-07-25' ? x.name : service(ctx, x, false))),
    system: false,
    uuid: s.uuid,
    ...s.extra,
  };
}

function host(ctx: Ctx, h: HostRecord, index: number): Obj {
  const out: Obj = {
    agent_ip: h.agent_ip,
    environment_uuid: ctx.world.environment_uuid,
    hostname: h.hostname,
    labels: { ...h.labels },
    local_storage_mb: 50000,
    memory: 4096,
    milli_cpu: 2000,
    name: h.name,
    state: 'active',
    uuid: h.uuid,
    ...h.extra,
  };
  if (ctx.v !== '2016-07-29') out.hostId = index + 1;
  return out;
}
