/**
 * Writes service registrations exactly like the two registrator flavours (rancher-haproxy spec
 * §3.1–3.4), so backend tests read the same bytes a real deployment produces:
 *
 * - gliderlabs/registrator (upstream, etcd v2 keys API): `GET /version` at start; register =
 *   `PUT /v2/keys/<prefix>/<name>/<id>` with form body `value=<ip:port>` (+ `ttl=<n>` when a TTL
 *   is set); refresh = the same PUT again (resets the TTL); deregister = non-recursive DELETE,
 *   leaving the (possibly empty) service directory behind.
 * - fayrus/registrator (fork, etcd v3): register/refresh = put with a FRESH lease each time when a
 *   TTL is set; deregister = delete.
 *
 * Layout: `<prefix>/<service-name>/<hostname>:<container>:<exposed port>[:udp]` = `<ip>:<port>`.
 */
import type { Etcd3 } from 'etcd3';

export interface Service {
  /** Service name (`SERVICE_NAME` or the image base name, `-<port>` suffixed for multi-port containers). */
  readonly name: string;
  /** Service ID, see `serviceId`. */
  readonly id: string;
  readonly ip: string;
  readonly port: number;
}

/** `<hostname>:<container name without leading />:<exposed port>` plus `:udp` for UDP ports. */
export function serviceId(hostname: string, container: string, exposedPort: number, udp = false): string {
  return `${hostname}:${container.replace(/^\//, '')}:${exposedPort}${udp ? ':udp' : ''}`;
}

/** Go's net.JoinHostPort: IPv6 addresses in brackets. */
export function joinHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function serviceKey(prefix: string, s: Service): string {
  const p = prefix.replace(/\/+$/, '');
  return `${p}/${s.name}/${s.id}`;
}

export interface RegistratorOptions {
  /** Key prefix from the registry URI path (`etcd://host:2379/services` → `/services`; empty allowed). */
  readonly prefix: string;
  /** `-ttl`: seconds; 0 or undefined = keys live forever. */
  readonly ttl?: number;
}

/** Upstream gliderlabs/registrator with its etcd (v2 keys API) backend. */
export class GliderlabsRegistrator {
  readonly #known = new Map<string, Service>();

  constructor(
    private readonly etcdUrl: string,
    private readonly opts: RegistratorOptions,
  ) {}

  /** The factory's version probe (`GET /version`); registrator picks its v2 client unless it says 0.4. */
  async start(): Promise<string> {
    const res = await fetch(`${this.etcdUrl}/version`);
    return res.text();
  }

  async register(s: Service): Promise<void> {
    this.#known.set(serviceKey(this.opts.prefix, s), s);
    await this.#put(s);
  }

  /** `-ttl-refresh`: re-PUT every known service, resetting its TTL. */
  async refresh(): Promise<void> {
    for (const s of this.#known.values()) await this.#put(s);
  }

  /** Container `die` with `-deregister always`: non-recursive DELETE of the key. */
  async deregister(s: Service): Promise<void> {
    this.#known.delete(serviceKey(this.opts.prefix, s));
    const res = await fetch(this.#url(s), { method: 'DELETE' });
    await res.arrayBuffer();
    if (!res.ok && res.status !== 404) throw new Error(`registrator v2 DELETE: HTTP ${res.status}`);
  }

  /** Registrator stopped (or the container died with on-success and failed): refreshing stops, keys expire. */
  forget(): void {
    this.#known.clear();
  }

  async #put(s: Service): Promise<void> {
    const form = new URLSearchParams({ value: joinHostPort(s.ip, s.port) });
    if (this.opts.ttl && this.opts.ttl > 0) form.set('ttl', String(this.opts.ttl));
    const res = await fetch(this.#url(s), { method: 'PUT', body: form });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`registrator v2 PUT ${serviceKey(this.opts.prefix, s)}: HTTP ${res.status}`);
  }

  #url(s: Service): string {
    return `${this.etcdUrl}/v2/keys${serviceKey(this.opts.prefix, s).split('/').map(encodeURIComponent).join('/')}`;
  }
}

/** The fayrus/registrator fork with its etcd v3 backend (`etcd://`). */
export class FayrusRegistrator {
  readonly #known = new Map<string, Service>();

  constructor(
    private readonly client: Etcd3,
    private readonly opts: RegistratorOptions,
  ) {}

  async register(s: Service): Promise<void> {
    this.#known.set(serviceKey(this.opts.prefix, s), s);
    await this.#put(s);
  }

  async refresh(): Promise<void> {
    for (const s of this.#known.values()) await this.#put(s);
  }

  async deregister(s: Service): Promise<void> {
    const key = serviceKey(this.opts.prefix, s);
    this.#known.delete(key);
    await this.client.delete().key(key);
  }

  forget(): void {
    this.#known.clear();
  }

  /** A fresh lease per register/refresh (no keep-alive), so a stopped refresh lets the key expire. */
  async #put(s: Service): Promise<void> {
    const key = serviceKey(this.opts.prefix, s);
    const value = joinHostPort(s.ip, s.port);
    if (!this.opts.ttl || this.opts.ttl <= 0) {
      await this.client.put(key).value(value);
      return;
    }
    const grant = await this.client.leaseClient.leaseGrant({ TTL: this.opts.ttl });
    await this.client.put(key).value(value).lease(grant.ID);
  }
}
