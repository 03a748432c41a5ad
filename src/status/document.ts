/**
 * The `/status` document: what the status page shows, as JSON. Built from read-only sources
 * (resource and backend status snapshots, the cycle recorder, the skip ledger, the HAProxy
 * tracker); every string passes through the masks before it leaves.
 */
import type { HaproxyLive, HaproxyStatus } from '../haproxy/status.ts';
import type { FeedStatus } from '../runner/feed.ts';
import type { GuardHold } from '../runner/guard.ts';
import type { QuarantinedKey } from '../runner/quarantine.ts';
import type { ResourceStatus } from '../runner/resource-loop.ts';
import type { Skip } from '../template/skips.ts';
import { isSecretName, maskDeep, MASK } from './mask.ts';
import type { CycleView, HistoryEvent } from './recorder.ts';

export type { GuardHold, QuarantinedKey };


/** ResourceStatus plus what newer runners report (optional: shown when present). */
export type ResourceStatusInput = ResourceStatus & {
  readonly quarantined?: readonly QuarantinedKey[];
  readonly guards?: readonly GuardHold[];
  readonly nextRetryAt?: number;
};

export interface StatusSources {
  readonly version: string;
  readonly node: string;
  readonly startedAt: number;
  resources(): readonly ResourceStatusInput[];
  cycle(resource: string): CycleView;
  history(): readonly HistoryEvent[];
  skips(): readonly Skip[];
  /** The supervised HAProxy, when keyplate runs one. */
  haproxy?(): { status(): HaproxyStatus; live(signal?: AbortSignal): Promise<HaproxyLive> } | undefined;
  readonly now?: () => number;
}

export type ProblemKind = 'skipped' | 'rejected' | 'quarantined' | 'guard' | 'backend' | 'haproxy' | 'resource';

export interface Problem {
  readonly kind: ProblemKind;
  readonly resource?: string;
  /** The key, container, backend or file concerned. */
  readonly item?: string;
  readonly message: string;
  readonly since?: string;
}

export interface BackendView {
  readonly name: string;
  readonly kind: string;
  readonly connected: boolean;
  readonly revision?: string;
  readonly keys: number;
  readonly lastEventAt?: string;
  readonly lastSyncAt?: string;
  readonly lastError?: string;
  readonly resumes: number;
  readonly resyncs: number;
}

type Iso<T> = { [K in keyof T]: T[K] extends number | undefined ? (K extends `${string}At` | 'at' | 'since' ? string : T[K]) : T[K] extends object | undefined ? Iso<T[K]> : T[K] };

export interface ResourceView {
  readonly name: string;
  readonly ok: boolean;
  readonly renders: number;
  readonly failures: number;
  readonly lastSuccessAt?: string;
  readonly lastError?: string;
  readonly nextRetryAt?: string;
  readonly cycle: Iso<CycleView>;
  readonly backends: readonly BackendView[];
}

export interface StatusDocument {
  readonly keyplate: { readonly version: string; readonly node: string; readonly startedAt: string };
  readonly generatedAt: string;
  readonly ok: boolean;
  readonly haproxy?: Iso<HaproxyStatus> & { readonly live: HaproxyLive };
  readonly problems: readonly Problem[];
  readonly skipped: ReadonlyArray<Iso<Skip>>;
  readonly resources: readonly ResourceView[];
  readonly history: ReadonlyArray<Iso<HistoryEvent>>;
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined || !Number.isFinite(ms) ? undefined : new Date(ms).toISOString();
}

/** Timestamps (fields named `at`, `since` or `…At`, epoch ms) as ISO strings, recursively. */
export function isoTimes<T>(value: T): Iso<T> {
  if (Array.isArray(value)) return value.map((v) => isoTimes(v)) as Iso<T>;
  if (value === null || typeof value !== 'object') return value as Iso<T>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[k] = typeof v === 'number' && (k === 'at' || k === 'since' || k.endsWith('At')) ? iso(v) : isoTimes(v);
  }
  return out as Iso<T>;
}

function backendView(s: FeedStatus): BackendView {
  return isoTimes({
    name: s.backend,
    kind: s.kind,
    connected: s.connected,
    revision: s.revision,
    keys: s.keys,
    lastEventAt: s.lastEventAt,
    lastSyncAt: s.lastSyncAt,
    lastError: s.lastError,
    resumes: s.resumes ?? 0,
    resyncs: s.resyncs ?? 0,
  }) as BackendView;
}

function problemsOf(resources: readonly ResourceStatusInput[], src: StatusSources, skips: readonly Skip[], ha: HaproxyStatus | undefined, live: HaproxyLive | undefined): Problem[] {
  const out: Problem[] = [];
  const add = (p: Omit<Problem, 'since'> & { since?: number }) => out.push(isoTimes(p) as Problem);
  if (ha && !ha.up) add({ kind: 'haproxy', message: `HAProxy is ${ha.state}` });
  else if (live?.error) add({ kind: 'haproxy', message: `cannot read HAProxy's routing table: ${live.error}` });
  for (const r of resources) {
    const c = src.cycle(r.resource);
    if (c.rejected) add({ kind: c.rejected.step === 'guard' ? 'guard' : 'rejected', resource: r.resource, item: c.rejected.dst, message: c.rejected.message, since: c.rejected.at });
    else if (r.lastSuccessAt === undefined && r.lastError) add({ kind: 'resource', resource: r.resource, message: r.lastError });
    for (const q of r.quarantined ?? []) {
      const value = q.value === null ? ' (deleted)' : ` = ${isSecretName(q.key) ? MASK : JSON.stringify(q.value)}`;
      add({ kind: 'quarantined', resource: r.resource, item: q.key, message: `${q.key}${value}: ${q.reason}`, since: q.since });
    }
    for (const g of r.guards ?? []) add({ kind: 'guard', resource: r.resource, item: `${g.prefix} on ${g.backend}`, message: g.message, since: g.since });
    for (const s of r.sources) if (!s.connected || s.lastError) add({ kind: 'backend', resource: r.resource, item: s.backend, message: s.lastError ?? 'not connected' });
  }
  for (const s of skips) add({ kind: 'skipped', resource: s.resource, item: s.item, message: s.detail ? `${s.reason}: ${s.detail}` : s.reason, since: s.since });
  return out;
}

function skipView(s: Skip): Skip {
  // the value of a secret-looking key never shows, even in the reason it was refused
  return isSecretName(s.item) && s.detail ? { ...s, detail: MASK } : s;
}

/** Build the document; asks HAProxy for its live state (bounded by the caller's signal). */
export async function buildStatus(src: StatusSources, signal?: AbortSignal): Promise<StatusDocument> {
  const now = (src.now ?? Date.now)();
  const resources = src.resources();
  const skips = src.skips().map(skipView);
  const h = src.haproxy?.();
  const ha = h?.status();
  const live = h ? await h.live(signal) : undefined;
  const problems = problemsOf(resources, src, skips, ha, live);
  const views: ResourceView[] = resources.map((r) =>
    isoTimes({
      name: r.resource,
      ok: r.lastSuccessAt !== undefined && !src.cycle(r.resource).rejected,
      renders: r.renders,
      failures: r.failures,
      lastSuccessAt: r.lastSuccessAt,
      lastError: r.lastError,
      nextRetryAt: r.nextRetryAt,
      cycle: src.cycle(r.resource),
      backends: r.sources.map(backendView),
    }) as unknown as ResourceView,
  );
  const doc = {
    keyplate: { version: src.version, node: src.node, startedAt: iso(src.startedAt) ?? '' },
    generatedAt: iso(now) ?? '',
    ok: problems.every((p) => p.kind === 'skipped'),
    ...(ha && live ? { haproxy: { ...isoTimes(ha), live } } : {}),
    problems,
    skipped: skips.map((s) => isoTimes(s)),
    resources: views,
    history: src.history().map((e) => isoTimes(e)),
  };
  return maskDeep(doc) as StatusDocument;
}
