/**
 * The emulator's source of truth: what Cattle knows about an environment (hosts, stacks, services,
 * containers), independent of API version. `answers.ts` renders it into the per-version trees the
 * metadata server serves. Field names follow rancher-haproxy.md §2.4; `extra` carries any field
 * a test wants verbatim.
 */
import { createHash } from 'node:crypto';

export interface HostRecord {
  name: string;
  uuid: string;
  agent_ip: string;
  hostname: string;
  labels: Record<string, string>;
  extra?: Record<string, unknown>;
}

export interface StackRecord {
  name: string;
  uuid: string;
  extra?: Record<string, unknown>;
}

export interface ServiceRecord {
  name: string;
  uuid: string;
  stack_name: string;
  /** A sidekick launch config names its primary service here; its metadata is the primary's. */
  primary_service_name: string;
  kind: string;
  state: string;
  scale: number;
  labels: Record<string, string>;
  /** rancher-compose `metadata:` (aliases, ssl_cert, ssl_key, ...). */
  metadata: Record<string, unknown>;
  ports: string[];
  sidekicks: string[];
  token: string;
  extra?: Record<string, unknown>;
}

export interface ContainerRecord {
  name: string;
  uuid: string;
  /** null for standalone containers and system agents. */
  stack_name: string | null;
  service_name: string | null;
  primary_ip: string | null;
  state: string;
  labels: Record<string, string>;
  host_uuid: string;
  create_index: number;
  service_index: string;
  /** Compose port strings (`80:80/tcp`); rendered per version. */
  ports: string[];
  extra?: Record<string, unknown>;
}

export interface World {
  environment_name: string;
  environment_uuid: string;
  hosts: HostRecord[];
  stacks: StackRecord[];
  services: ServiceRecord[];
  containers: ContainerRecord[];
  /** Caller IP → container name or uuid whose `self` that caller sees; `*` matches any caller. */
  self: Record<string, string>;
}

/** A stable, UUID-shaped id derived from a seed: the same builder input gives the same uuids. */
export function stableUuid(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface ContainerInput extends Partial<Omit<ContainerRecord, 'labels'>> {
  labels?: Record<string, string>;
}

/**
 * Builds a realistic world. Every call returns `this` except `build()`. Containers get Rancher
 * 1.2+ names (`stack-service-N`) unless `legacyNames` (`Stack_service_N`, Rancher < 1.2).
 */
export class MetadataBuilder {
  readonly #world: World;
  readonly #legacyNames: boolean;
  #ipSeq = 2;

  constructor(opts: { environment?: string; legacyNames?: boolean } = {}) {
    const env = opts.environment ?? 'Default';
    this.#legacyNames = opts.legacyNames ?? false;
    this.#world = {
      environment_name: env,
      environment_uuid: env === 'Default' ? 'adminProject' : stableUuid(`env:${env}`),
      hosts: [],
      stacks: [],
      services: [],
      containers: [],
      self: {},
    };
  }

  host(name: string, opts: Partial<HostRecord> = {}): this {
    this.#world.hosts.push({
      name,
      uuid: stableUuid(`host:${name}`),
      agent_ip: `172.17.0.${this.#world.hosts.length + 1}`,
      hostname: name,
      labels: { 'io.rancher.host.docker_version': '1.12' },
      ...opts,
    });
    return this;
  }

  stack(name: string, opts: Partial<StackRecord> = {}): this {
    this.#world.stacks.push({ name, uuid: stableUuid(`stack:${name}`), ...opts });
    return this;
  }

  /** Adds the service (and its stack when missing). */
  service(stack: string, name: string, opts: Partial<ServiceRecord> = {}): this {
    if (!this.#world.stacks.some((s) => s.name === stack)) this.stack(stack);
    this.#world.services.push({ ...defaultService(stack, name), ...opts });
    return this;
  }

  /** Adds one container of `stack/service` (the service is created when missing). */
  container(stack: string, service: string, opts: ContainerInput = {}): this {
    if (!this.#world.services.some((s) => s.stack_name === stack && s.name === service)) this.service(stack, service);
    this.#world.containers.push(newContainer(this.#world, stack, service, opts, this.#legacyNames, this.#ipSeq++));
    return this;
  }

  /** `n` containers of `stack/service`, all with `opts`. */
  containers(stack: string, service: string, n: number, opts: ContainerInput = {}): this {
    for (let i = 0; i < n; i++) this.container(stack, service, opts);
    return this;
  }

  /** A container outside any stack (system agent, `docker run`). */
  standalone(name: string, opts: ContainerInput = {}): this {
    this.#world.containers.push(
      newContainer(this.#world, null, null, { name, ...opts }, this.#legacyNames, this.#ipSeq++),
    );
    return this;
  }

  /** Which container a caller (IP, or `*` for anyone) sees as `self`. */
  self(container: string, callerIp = '*'): this {
    this.#world.self[callerIp] = container;
    return this;
  }

  build(): World {
    if (this.#world.hosts.length === 0) this.host('node1');
    return structuredClone(this.#world);
  }
}

/** Build a container record for `world` (used by the builder and the emulator's `addContainer`). */
export function newContainer(
  world: World,
  stack: string | null,
  service: string | null,
  opts: ContainerInput,
  legacyNames = false,
  ipSeq = world.containers.length + 2,
): ContainerRecord {
  const index = 1 + world.containers.filter((c) => c.stack_name === stack && c.service_name === service).length;
  const name =
    opts.name ?? (legacyNames ? `${stack}_${service}_${index}` : `${stack}-${service}-${index}`);
  const labels: Record<string, string> = { ...opts.labels };
  if (stack !== null && service !== null) {
    labels['io.rancher.stack.name'] ??= stack;
    labels['io.rancher.stack_service.name'] ??= `${stack}/${service}`;
  }
  const host = world.hosts[0]?.uuid ?? stableUuid('host:node1');
  return {
    stack_name: stack,
    service_name: service,
    primary_ip: `10.42.${Math.floor(ipSeq / 250)}.${(ipSeq % 250) + 1}`,
    state: 'running',
    host_uuid: host,
    create_index: index,
    service_index: String(index),
    ports: [],
    ...opts,
    name,
    uuid: opts.uuid ?? stableUuid(`container:${name}:${world.containers.length}`),
    labels,
  };
}

/**
 * The rancher-haproxy deployment: stack `proxy` with service `HTTP` (ports 80/443, metadata with
 * aliases and optionally ssl_cert/ssl_key) and its sidekick `HTTP-generate-maps`, whose container
 * is every caller's `self`; plus one app stack per entry of `apps` with containers labelled
 * `map-public-http: <port>`.
 */
export function rancherHaproxyWorld(opts: {
  apps?: ReadonlyArray<{ stack: string; service?: string; containers?: number; port?: string; proxy?: string }>;
  aliases?: Record<string, string[]>;
  sslCert?: string;
  sslKey?: string;
  legacyNames?: boolean;
} = {}): World {
  const metadata: Record<string, unknown> = { aliases: opts.aliases ?? {} };
  if (opts.sslCert !== undefined) metadata.ssl_cert = opts.sslCert;
  if (opts.sslKey !== undefined) metadata.ssl_key = opts.sslKey;
  const b = new MetadataBuilder({ legacyNames: opts.legacyNames })
    .host('node1', { agent_ip: '172.17.0.1' })
    .service('proxy', 'HTTP', {
      metadata,
      ports: ['80:80/tcp', '443:443/tcp'],
      sidekicks: ['HTTP-generate-maps'],
      labels: { 'io.rancher.sidekicks': 'HTTP-generate-maps' },
    })
    .service('proxy', 'HTTP-generate-maps', { primary_service_name: 'HTTP' })
    .container('proxy', 'HTTP', { ports: ['80:80/tcp', '443:443/tcp'] })
    .container('proxy', 'HTTP-generate-maps', {
      name: opts.legacyNames ? 'proxy_HTTP_HTTP-generate-maps_1' : 'proxy-HTTP-HTTP-generate-maps-1',
      labels: { 'io.rancher.service.launch.config': 'HTTP-generate-maps' },
    });
  for (const app of opts.apps ?? [{ stack: 'app1' }]) {
    const labels: Record<string, string> = { 'map-public-http': app.port ?? '80' };
    if (app.proxy !== undefined) labels['send-proxy'] = app.proxy;
    b.containers(app.stack, app.service ?? 'nginx', app.containers ?? 1, { labels });
  }
  const world = b.build();
  world.self['*'] = world.containers.find((c) => c.service_name === 'HTTP-generate-maps')!.name;
  return world;
}

/** A service record with the emulator's defaults (stable uuid and token from its name). */
export function defaultService(stack: string, name: string): ServiceRecord {
  return {
    name,
    uuid: stableUuid(`service:${stack}/${name}`),
    stack_name: stack,
    primary_service_name: name,
    kind: 'service',
    state: 'active',
    scale: 1,
    labels: {},
    metadata: {},
    ports: [],
    sidekicks: [],
    token: stableUuid(`token:${stack}/${name}`).replaceAll('-', ''),
  };
}
