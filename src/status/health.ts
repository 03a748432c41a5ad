/**
 * The health verdict `/healthz` serves, computed from worker statuses alone (pure: no clock, no
 * state). A resource is healthy once it has rendered successfully and while every backend it reads
 * is current: connected (its watch stream is up, or its last read succeeded), or disconnected for
 * less than the freshness window counted from its last successful sync. Keyplate keeps serving the
 * last good data while a backend is down; the window says how long that is acceptable.
 */
import type { FeedStatus } from '../runner/feed.ts';
import type { ResourceStatus } from '../runner/resource-loop.ts';
import type { GuardHold } from '../runner/guard.ts';
import type { QuarantinedKey } from '../runner/quarantine.ts';

export interface HealthOptions {
  /** How long a disconnected backend's last good data counts as current (`[http] freshness`). */
  readonly freshnessMs: number;
}

export interface SourceHealth {
  readonly backend: string;
  readonly kind: string;
  readonly ok: boolean;
  readonly connected: boolean;
  readonly revision?: string;
  readonly keys: number;
  /** Epoch ms of the last successful read or watch event. */
  readonly lastSyncAt?: number;
  /** How long the data may be behind the backend: 0 while connected; see `sourceLagMs`. */
  readonly lagMs?: number;
  readonly lastError?: string;
  readonly reason?: string;
}

export interface ResourceHealth {
  readonly resource: string;
  readonly ok: boolean;
  /** Why it is not ok, for humans (several reasons joined with "; "). */
  readonly reason?: string;
  readonly lastSuccessAt?: number;
  /** The last cycle's error; informational, the last good render stays installed. */
  readonly lastError?: string;
  readonly renders: number;
  readonly failures: number;
  readonly sources: readonly SourceHealth[];
  /** Keys held back by quarantine (value masked); the resource serves everything else. */
  readonly quarantined?: readonly QuarantinedKey[];
  /** Set while a data guard holds a prefix at its last good values: which, and why. */
  readonly degraded?: string;
  /** The prefixes the data guard holds (runner/guard.ts); every other prefix applies. */
  readonly guarded?: readonly GuardHold[];
}

export interface HealthReport {
  readonly ok: boolean;
  /** True while some resource is degraded (a data guard holds a prefix); `ok` may still be true. */
  readonly degraded?: boolean;
  /** Epoch ms the report was computed for. */
  readonly now: number;
  readonly freshnessMs: number;
  readonly resources: readonly ResourceHealth[];
}

/**
 * How far behind the backend a source's data may be, in ms: 0 while connected (a live watch or a
 * successful last read), else the time since the last successful sync; undefined when it never
 * synced. This is what `keyplate_watch_lag_seconds` exports and what the freshness window bounds.
 */
export function sourceLagMs(s: FeedStatus, now: number): number | undefined {
  if (s.lastSyncAt === undefined) return undefined;
  if (s.connected) return 0;
  return Math.max(0, now - s.lastSyncAt);
}

/** Whole seconds for messages ("95 s"). */
function secs(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

function withError(msg: string, err: string | undefined): string {
  return err ? `${msg}: ${err}` : msg;
}

export function sourceHealth(s: FeedStatus, now: number, opts: HealthOptions): SourceHealth {
  const lagMs = sourceLagMs(s, now);
  const base = {
    backend: s.backend,
    kind: s.kind,
    connected: s.connected,
    keys: s.keys,
    ...(s.revision !== undefined ? { revision: s.revision } : {}),
    ...(s.lastSyncAt !== undefined ? { lastSyncAt: s.lastSyncAt } : {}),
    ...(lagMs !== undefined ? { lagMs } : {}),
    ...(s.lastError !== undefined ? { lastError: s.lastError } : {}),
  };
  if (s.lastSyncAt === undefined || lagMs === undefined) {
    return { ...base, ok: false, reason: withError(`backend ${s.backend} has never synced`, s.lastError) };
  }
  if (lagMs > opts.freshnessMs) {
    const reason = withError(`backend ${s.backend} has not synced for ${secs(lagMs)} (window ${secs(opts.freshnessMs)})`, s.lastError);
    return { ...base, ok: false, reason };
  }
  return { ...base, ok: true };
}

export function resourceHealth(w: ResourceStatus, now: number, opts: HealthOptions): ResourceHealth {
  const sources = w.sources.map((s) => sourceHealth(s, now, opts));
  const reasons: string[] = [];
  if (w.lastSuccessAt === undefined) reasons.push(withError('has not rendered successfully yet', w.lastError));
  for (const s of sources) if (!s.ok && s.reason) reasons.push(s.reason);
  return {
    resource: w.resource,
    ok: reasons.length === 0,
    ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
    ...(w.lastSuccessAt !== undefined ? { lastSuccessAt: w.lastSuccessAt } : {}),
    ...(w.lastError !== undefined ? { lastError: w.lastError } : {}),
    renders: w.renders,
    failures: w.failures,
    sources,
    ...(w.quarantined !== undefined && w.quarantined.length > 0 ? { quarantined: w.quarantined } : {}),
    ...(w.guards !== undefined && w.guards.length > 0 ? { degraded: w.guards.map((g) => `data guard holds ${g.prefix} on ${g.backend}: ${g.message}`).join('; '), guarded: w.guards } : {}),
  };
}

/** The verdict for every resource; `ok` only when all are ok. */
export function healthReport(statuses: readonly ResourceStatus[], now: number, opts: HealthOptions): HealthReport {
  const resources = statuses.map((w) => resourceHealth(w, now, opts));
  const degraded = resources.some((r) => r.degraded !== undefined);
  return { ok: resources.every((r) => r.ok), ...(degraded ? { degraded } : {}), now, freshnessMs: opts.freshnessMs, resources };
}
