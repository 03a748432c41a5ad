/**
 * DNS for templates. Template functions are synchronous, so lookups go through a per-render
 * cache: a miss is recorded and answered with an empty list, the engine resolves every recorded
 * miss (in parallel, under a timeout) and renders again. confd semantics: a failed or timed-out
 * lookup yields an empty list, never a render error. Results are sorted so DNS round-robin never
 * changes the output.
 */

/** node:dns/promises, loaded by the first lookup (most templates never make one). */
const dns = () => import('node:dns/promises');

export interface SrvRecord {
  readonly target: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/** Injected resolver. Implementations should honour the signal (the engine aborts it on timeout). */
export interface DnsResolver {
  /** All addresses (v4 and v6) for `host`, like Go's net.LookupIP. */
  lookupIP(host: string, signal: AbortSignal): Promise<readonly string[]>;
  /** SRV records for `name`, like Go's net.LookupSRV(service, proto, name). */
  lookupSRV(service: string, proto: string, name: string, signal: AbortSignal): Promise<readonly SrvRecord[]>;
}

/** The record shape templates see: Go's field names (`.Target`, `.Port`) and lower-case aliases. */
export interface TemplateSrv {
  readonly Target: string;
  readonly Port: number;
  readonly Priority: number;
  readonly Weight: number;
  readonly target: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/** Go's SRV query name: `_service._proto.name`, or `name` alone when service and proto are empty. */
export function srvName(service: string, proto: string, name: string): string {
  return service === '' && proto === '' ? name : `_${service}._${proto}.${name}`;
}

/** The default resolver: getaddrinfo for addresses (so /etc/hosts counts, as in Go), DNS for SRV. */
export function systemResolver(): DnsResolver {
  return {
    async lookupIP(host, signal) {
      const { lookup } = await dns();
      signal.throwIfAborted();
      const all = await lookup(host, { all: true, verbatim: true });
      return all.map((a) => a.address);
    },
    async lookupSRV(service, proto, name, signal) {
      const { Resolver } = await dns();
      signal.throwIfAborted();
      const r = new Resolver();
      const onAbort = () => r.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const recs = await r.resolveSrv(srvName(service, proto, name));
        return recs.map((x) => ({ target: x.name, port: x.port, priority: x.priority, weight: x.weight }));
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
}

type Pending = { readonly kind: 'ip'; readonly host: string } | { readonly kind: 'srv'; readonly service: string; readonly proto: string; readonly name: string };

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toTemplateSrv(r: SrvRecord): TemplateSrv {
  const target = r.target.endsWith('.') ? r.target : `${r.target}.`;
  return { Target: target, Port: r.port, Priority: r.priority, Weight: r.weight, target, port: r.port, priority: r.priority, weight: r.weight };
}

/** Per-render answers; lives for one renderFile/renderString call (all of its passes). */
export class DnsCache {
  readonly #answers = new Map<string, readonly unknown[]>();
  readonly #pending = new Map<string, Pending>();

  get pendingCount(): number {
    return this.#pending.size;
  }

  lookupIP(host: unknown): string[] {
    const h = String(host ?? '');
    return this.#get(`ip:${h}`, { kind: 'ip', host: h }) as string[];
  }

  lookupSRV(service: unknown, proto: unknown, name: unknown): TemplateSrv[] {
    const p = { kind: 'srv', service: String(service ?? ''), proto: String(proto ?? ''), name: String(name ?? '') } as const;
    return this.#get(`srv:${p.service}\0${p.proto}\0${p.name}`, p) as TemplateSrv[];
  }

  /** Resolve every recorded miss. Failures and timeouts become empty lists (confd). */
  async resolvePending(resolver: DnsResolver, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const jobs = [...this.#pending.entries()];
    this.#pending.clear();
    const ctl = new AbortController();
    const onAbort = () => ctl.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    // Not unref'd: a one-shot render waiting only on DNS must not let the process exit. Cleared below.
    const timer = setTimeout(() => ctl.abort(new Error(`DNS lookup timed out after ${timeoutMs} ms`)), timeoutMs);
    const aborted = new Promise<never>((_, reject) => {
      ctl.signal.addEventListener('abort', () => reject(ctl.signal.reason), { once: true });
    });
    aborted.catch(() => undefined);
    try {
      await Promise.all(jobs.map(async ([key, job]) => {
        let answer: readonly unknown[] = [];
        try {
          answer = await Promise.race([this.#run(resolver, job, ctl.signal), aborted]);
        } catch {
          answer = [];
        }
        this.#answers.set(key, answer);
      }));
      signal?.throwIfAborted();
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async #run(resolver: DnsResolver, job: Pending, signal: AbortSignal): Promise<readonly unknown[]> {
    if (job.kind === 'ip') return [...(await resolver.lookupIP(job.host, signal))].map(String).sort(cmp);
    const recs = await resolver.lookupSRV(job.service, job.proto, job.name, signal);
    const keyed = recs.map(toTemplateSrv).map((r) => ({ r, k: `${r.Target}${r.Port}${r.Priority}${r.Weight}` }));
    return keyed.sort((a, b) => cmp(a.k, b.k)).map((x) => x.r);
  }

  #get(key: string, job: Pending): unknown[] {
    const hit = this.#answers.get(key);
    if (hit) return hit.slice();
    this.#pending.set(key, job);
    return [];
  }
}

export const isV4 = (ip: string): boolean => ip.includes('.');
export const isV6 = (ip: string): boolean => ip.includes(':');
