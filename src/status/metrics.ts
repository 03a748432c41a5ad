/**
 * Prometheus metrics for keyplate, on a registry of their own (never prom-client's global one):
 * render cycles, failures by step, installs, backend connectivity and lag, HAProxy apply counters,
 * data-guard refusals and skipped items, build info, plus the process default metrics. Counters
 * start at 0 for every known label set (every resource × result/step/reason), so `increase()`
 * sees the first failure. Cycle counters move on `observeCycle`; gauges are refreshed at scrape
 * time from the providers given to `createMetrics` (`metricsText` calls them itself).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BackendError, ResourceError, isAppError } from '../errors.ts';
import type { HaproxyCounters } from '../haproxy/controller.ts';
import { CommandStepError } from '../pipeline/step-error.ts';
import { GuardError } from '../runner/guard.ts';
import type { CycleOutcome, ResourceStatus } from '../runner/resource-loop.ts';
import { CounterDeltas } from './counter-deltas.ts';
import { sourceLagMs } from './health.ts';

/** Whole-cycle duration buckets, seconds: a render is ms, a check or reload can take many seconds. */
export const RENDER_DURATION_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);

export interface MetricsOptions {
  /** Register prom-client's process/nodejs default metrics on this registry (default true). */
  readonly defaultMetrics?: boolean;
  /** Called by `metricsText()` before every scrape, e.g. `() => runner.status()`. */
  readonly status?: () => readonly ResourceStatus[];
  /** Called by `metricsText()` before every scrape: the HaproxyController (or undefined when none runs). */
  readonly haproxy?: () => { readonly counters: HaproxyCounters } | undefined;
  /** Clock for the scrape-time refresh (default Date.now). */
  readonly now?: () => number;
  /** Resources known at start: their counters are exported at 0 before anything happens. */
  readonly resources?: readonly string[];
  /** `keyplate_build_info` labels (haproxy: the version once known, else ""). */
  readonly build?: { readonly version: string; readonly node: string; readonly haproxy?: () => string | undefined };
  /** Skips of the latest renders, counted by resource and reason (`keyplate_skipped_items`). */
  readonly skips?: () => ReadonlyArray<{ readonly resource: string; readonly reason: string; readonly count: number }>;
  /** The supervised HAProxy's up state and last successful reload (epoch ms), when keyplate runs one. */
  readonly haproxyState?: () => { readonly up: boolean; readonly lastReloadAt?: number } | undefined;
}

/** Every `step` label of keyplate_failures_total. */
export const FAILURE_STEPS = ['fetch', 'render', 'stage', 'compare', 'check', 'install', 'reload', 'guard', 'internal'] as const;
/** Every `result` label of keyplate_renders_total. */
export const RENDER_RESULTS = ['changed', 'unchanged', 'failed'] as const;
/** Every `reason` label of keyplate_guard_refusals_total. */
export const GUARD_REASONS = ['empty', 'shrink'] as const;

export interface KeyplateMetrics {
  readonly registry: Registry;
  /** The Content-Type of `metricsText()` (Prometheus text format 0.0.4). */
  readonly contentType: string;
  /** Count one worker cycle (the worker's `onCycle`). */
  observeCycle(outcome: CycleOutcome): void;
  /** Refresh the per-resource and per-backend gauges; call at scrape time. */
  updateStatus(statuses: readonly ResourceStatus[], now: number): void;
  /** Feed a cumulative HaproxyController.counters snapshot; `instance` (the controller) detects a new one. */
  updateHaproxy(counters: HaproxyCounters, instance?: object): void;
  /** Export every counter of these resources at 0 (idempotent; new resources after a config reload). */
  initResources(resources: readonly string[]): void;
  /** Refresh from the providers given to createMetrics, then render the exposition text. */
  metricsText(): Promise<string>;
}

/** The failures_total `step` of a cycle error: ResourceError.step, `fetch` for backends, else `internal`. */
export function failureStep(error: unknown): string {
  if (error instanceof ResourceError) return error.step;
  if (error instanceof BackendError) return 'fetch';
  if (isAppError(error) && error.code === 'E_BACKEND') return 'fetch';
  return 'internal';
}

/** A cycle cut short by shutdown is not a failure of the resource. */
function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as NodeJS.ErrnoException).code === 'ABORT_ERR');
}

/** Numeric revisions only (etcd revisions, indexes); content hashes are skipped. */
function numericRevision(rev: string | undefined): number | undefined {
  if (rev === undefined || !/^\d{1,20}$/.test(rev)) return undefined;
  const n = Number(rev);
  return Number.isFinite(n) ? n : undefined;
}

function defineMetrics(registry: Registry) {
  const registers = [registry];
  const p = 'keyplate_';
  const r = ['resource'] as const;
  const rb = ['resource', 'backend'] as const;
  return {
    renders: new Counter({ name: `${p}renders_total`, help: 'Render cycles by result: changed (a destination changed, or would in noop), unchanged, failed.', labelNames: ['resource', 'result'] as const, registers }),
    duration: new Histogram({ name: `${p}render_duration_seconds`, help: 'Duration of a whole cycle (read, render, check, install, reload), seconds.', labelNames: r, buckets: [...RENDER_DURATION_BUCKETS], registers }),
    checkFailures: new Counter({ name: `${p}check_failures_total`, help: 'Renders rejected by check_cmd (the destination was left untouched).', labelNames: r, registers }),
    reloadFailures: new Counter({ name: `${p}reload_failures_total`, help: 'Failed reload commands (the previous files were restored).', labelNames: r, registers }),
    installs: new Counter({ name: `${p}installs_total`, help: 'Destination files replaced.', labelNames: r, registers }),
    failures: new Counter({ name: `${p}failures_total`, help: 'Failed cycles by the step that failed (fetch, render, stage, compare, check, install, reload, guard, internal).', labelNames: ['resource', 'step'] as const, registers }),
    lastSuccess: new Gauge({ name: `${p}last_success_timestamp_seconds`, help: 'Unix time of the last successful cycle.', labelNames: r, registers }),
    up: new Gauge({ name: `${p}resource_up`, help: '1 when the last cycle of the resource succeeded, else 0.', labelNames: r, registers }),
    connected: new Gauge({ name: `${p}backend_connected`, help: '1 while the backend is connected (watch up or last read succeeded).', labelNames: rb, registers }),
    revision: new Gauge({ name: `${p}backend_revision`, help: 'Revision/index the backend data reflects (numeric revisions only).', labelNames: rb, registers }),
    lastSync: new Gauge({ name: `${p}backend_last_sync_timestamp_seconds`, help: 'Unix time of the last successful read or watch event.', labelNames: rb, registers }),
    lag: new Gauge({ name: `${p}watch_lag_seconds`, help: 'How far behind the backend the data may be: 0 while connected, else seconds since the last sync.', labelNames: rb, registers }),
    haApplies: new Counter({ name: `${p}haproxy_applies_total`, help: 'HAProxy changes by method: runtime (Runtime API, no reload), reload (successful reloads), none (nothing to do).', labelNames: ['method'] as const, registers }),
    haRuntimeCommands: new Counter({ name: `${p}haproxy_runtime_commands_total`, help: 'Runtime API commands sent to HAProxy.', registers }),
    haRuntimeFailures: new Counter({ name: `${p}haproxy_runtime_failures_total`, help: 'Runtime API applies that failed and fell back to a reload.', registers }),
    haReloadFailures: new Counter({ name: `${p}haproxy_reload_failures_total`, help: 'Failed HAProxy reloads (the old worker kept serving).', registers }),
    haRestarts: new Counter({ name: `${p}haproxy_restarts_total`, help: 'Automatic HAProxy restarts after it died.', registers }),
    quarantined: new Gauge({ name: `${p}quarantined_keys`, help: 'Keys whose change was refused and is held back at its last good value (quarantine).', labelNames: r, registers }),
    guardRefusals: new Counter({ name: `${p}guard_refusals_total`, help: 'Snapshots a data guard refused, by reason: a prefix held at its last good values, or a render refused outright.', labelNames: ['resource', 'reason'] as const, registers }),
    guardHeld: new Gauge({ name: `${p}guard_held_prefixes`, help: 'Read prefixes a data guard holds at their last good values (emptied or shrunk by a snapshot).', labelNames: r, registers }),
    skipped: new Gauge({ name: `${p}skipped_items`, help: 'Values the latest render refused (skip() and the validating template functions), by resource and reason.', labelNames: ['resource', 'reason'] as const, registers }),
    buildInfo: new Gauge({ name: `${p}build_info`, help: 'Always 1: the keyplate version, the Node.js version and the HAProxy version ("" until known or when keyplate runs none).', labelNames: ['version', 'node', 'haproxy'] as const, registers }),
    haUp: new Gauge({ name: `${p}haproxy_up`, help: '1 while the supervised HAProxy runs, else 0 (absent when keyplate runs no HAProxy).', registers }),
    haLastReload: new Gauge({ name: `${p}haproxy_last_reload_timestamp_seconds`, help: 'Unix time of the last successful HAProxy reload (absent before the first).', registers }),
  };
}

type Defs = ReturnType<typeof defineMetrics>;

function observe(m: Defs, o: CycleOutcome, nowMs: number): void {
  const resource = o.resource;
  if (!o.ok && isAbort(o.error)) return;
  m.duration.observe({ resource }, Math.max(0, o.durationMs) / 1000);
  if (o.ok) {
    const changedFiles = o.result.templates.filter((t) => t.changed).length;
    m.renders.inc({ resource, result: o.result.wouldChange || o.result.changed ? 'changed' : 'unchanged' });
    if (changedFiles > 0) m.installs.inc({ resource }, changedFiles);
    m.up.set({ resource }, 1);
    m.lastSuccess.set({ resource }, nowMs / 1000);
    for (const h of o.guardHolds ?? []) m.guardRefusals.inc({ resource, reason: h.reason });
    return;
  }
  const step = failureStep(o.error);
  m.renders.inc({ resource, result: 'failed' });
  m.failures.inc({ resource, step });
  if (step === 'check' && !(o.error instanceof CommandStepError && o.error.repeated)) m.checkFailures.inc({ resource });
  if (step === 'reload') m.reloadFailures.inc({ resource });
  if (o.error instanceof GuardError) m.guardRefusals.inc({ resource, reason: o.error.reason });
  m.up.set({ resource }, 0);
}

function refreshStatus(m: Defs, statuses: readonly ResourceStatus[], now: number): void {
  for (const g of [m.lastSuccess, m.up, m.connected, m.revision, m.lastSync, m.lag, m.quarantined, m.guardHeld]) g.reset();
  for (const w of statuses) {
    const resource = w.resource;
    m.quarantined.set({ resource }, w.quarantined?.length ?? 0);
    m.guardHeld.set({ resource }, w.guards?.length ?? 0);
    m.up.set({ resource }, w.lastSuccessAt !== undefined && w.lastError === undefined ? 1 : 0);
    if (w.lastSuccessAt !== undefined) m.lastSuccess.set({ resource }, w.lastSuccessAt / 1000);
    for (const s of w.sources) {
      const labels = { resource, backend: s.backend };
      m.connected.set(labels, s.connected ? 1 : 0);
      const rev = numericRevision(s.revision);
      if (rev !== undefined) m.revision.set(labels, rev);
      if (s.lastSyncAt !== undefined) m.lastSync.set(labels, s.lastSyncAt / 1000);
      const lag = sourceLagMs(s, now);
      if (lag !== undefined) m.lag.set(labels, lag / 1000);
    }
  }
}

type HaKey = 'runtimeApplies' | 'runtimeCommands' | 'runtimeFailures' | 'reloads' | 'reloadFailures' | 'restarts' | 'noops';

function feedHaproxy(m: Defs, deltas: CounterDeltas<HaKey>, c: HaproxyCounters, instance?: object): void {
  const d = deltas.next(
    {
      runtimeApplies: c.runtimeApplies,
      runtimeCommands: c.runtimeCommands,
      runtimeFailures: c.runtimeFailures,
      reloads: c.reloads,
      reloadFailures: c.reloadFailures,
      restarts: c.restarts,
      noops: c.noops,
    },
    instance,
  );
  m.haApplies.inc({ method: 'runtime' }, d.runtimeApplies);
  m.haApplies.inc({ method: 'reload' }, d.reloads);
  m.haApplies.inc({ method: 'none' }, d.noops);
  m.haRuntimeCommands.inc(d.runtimeCommands);
  m.haRuntimeFailures.inc(d.runtimeFailures);
  m.haReloadFailures.inc(d.reloadFailures);
  m.haRestarts.inc(d.restarts);
}

function zeroResource(m: Defs, resource: string): void {
  for (const result of RENDER_RESULTS) m.renders.inc({ resource, result }, 0);
  for (const step of FAILURE_STEPS) m.failures.inc({ resource, step }, 0);
  for (const reason of GUARD_REASONS) m.guardRefusals.inc({ resource, reason }, 0);
  for (const c of [m.installs, m.checkFailures, m.reloadFailures]) c.inc({ resource }, 0);
}

/** Scrape-time gauges: skipped items (0 for a label set seen before), build info, HAProxy state. */
function refreshExtras(m: Defs, opts: MetricsOptions, seenSkips: Set<string>, haproxy: boolean): void {
  if (opts.skips) {
    m.skipped.reset();
    const counts = opts.skips();
    for (const c of counts) seenSkips.add(JSON.stringify([c.resource, c.reason]));
    for (const k of seenSkips) {
      const [resource, reason] = JSON.parse(k) as [string, string];
      m.skipped.set({ resource, reason }, counts.find((c) => c.resource === resource && c.reason === reason)?.count ?? 0);
    }
  }
  if (opts.build) {
    m.buildInfo.reset();
    m.buildInfo.set({ version: opts.build.version, node: opts.build.node, haproxy: opts.build.haproxy?.() ?? '' }, 1);
  }
  const ha = opts.haproxyState?.();
  m.haUp.reset();
  m.haLastReload.reset();
  if (ha || haproxy) m.haUp.set(ha?.up ? 1 : 0);
  if (ha?.lastReloadAt !== undefined) m.haLastReload.set(ha.lastReloadAt / 1000);
}

export function createMetrics(opts: MetricsOptions = {}): KeyplateMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const m = defineMetrics(registry);
  const now = opts.now ?? Date.now;
  const haDeltas = new CounterDeltas<HaKey>();
  const known = new Set<string>();
  const seenSkips = new Set<string>();
  const initResources = (names: readonly string[]) => {
    for (const n of names) if (!known.has(n)) (known.add(n), zeroResource(m, n));
  };
  initResources(opts.resources ?? []);
  for (const method of ['runtime', 'reload', 'none']) m.haApplies.inc({ method }, 0);
  const api: KeyplateMetrics = {
    registry,
    contentType: registry.contentType,
    observeCycle: (o) => (initResources([o.resource]), observe(m, o, now())),
    updateStatus: (statuses, at) => refreshStatus(m, statuses, at),
    updateHaproxy: (c, instance) => feedHaproxy(m, haDeltas, c, instance),
    initResources,
    async metricsText() {
      if (opts.status) {
        const statuses = opts.status();
        initResources(statuses.map((s) => s.resource));
        api.updateStatus(statuses, now());
      }
      const ha = opts.haproxy?.();
      if (ha) api.updateHaproxy(ha.counters, ha);
      refreshExtras(m, opts, seenSkips, ha !== undefined);
      return registry.metrics();
    },
  };
  return api;
}
