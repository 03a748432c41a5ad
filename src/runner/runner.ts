/**
 * Builds the workers of a config (backends → sources → one worker per resource) and runs them:
 * once (`--onetime`), or as a daemon where each backend watches and/or polls on its interval.
 */
import type { Logger } from 'pino';
import { createBackend } from '../backends/registry.ts';
import type { BackendContext } from '../backends/contract.ts';
import type { AppConfig, ResourceSpec } from '../config/types.ts';
import { AppError, errorMessage, ExitCode, exitCodeOf, KeyNotFoundError, ResourceError, type ExitCodeValue } from '../errors.ts';
import type { ProcessResult } from '../pipeline/process.ts';
import { abortableSleep, untilAborted, systemClock, type Clock } from '../schedule/schedule.ts';
import { nodeFetch } from '../backends/node-fetch.ts';
import { Feed } from './feed.ts';
import { fileGuardState, type GuardStateStore } from './guard-state.ts';
import { ResourceLoop, type CycleOutcome, type PassOpts, type ProcessFn, type ResourceStatus } from './resource-loop.ts';

export interface RunnerDeps {
  readonly process: ProcessFn;
  readonly logger: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof globalThis.fetch;
  readonly clock?: Clock;
  readonly onCycle?: (outcome: CycleOutcome) => void;
  /** Defaults to the registry; tests inject live instances. */
  readonly createBackend?: typeof createBackend;
  /** Where a resource's data guard keeps its baseline (default: `<first dst>.keyplate-state`). */
  readonly guardState?: (spec: ResourceSpec, logger: Logger) => GuardStateStore;
}

export interface RunnerOptions {
  readonly noop: boolean;
  /** Poll every backend that has no interval of its own, this often (`--interval`). */
  readonly intervalMs?: number;
  /** Only these resources (by name). */
  readonly only?: readonly string[];
  /** `run --allow-empty`: each resource's first install takes the data as read, without the data guard. */
  readonly allowEmpty?: boolean;
}

export interface ResourceSummary {
  readonly resource: string;
  readonly ok: boolean;
  readonly changed: boolean;
  readonly wouldChange: boolean;
  readonly error?: string;
  readonly exitCode: ExitCodeValue;
  readonly result?: ProcessResult;
}

export interface RunSummary {
  readonly resources: readonly ResourceSummary[];
  /** 0 when every resource succeeded, else the exit code of the first failure. */
  readonly exitCode: ExitCodeValue;
}

export interface Runner {
  readonly workers: readonly ResourceLoop[];
  runOnce(signal?: AbortSignal): Promise<RunSummary>;
  /** Run until `signal` aborts; resolves after every worker drained and the backends closed. */
  start(signal: AbortSignal): Promise<void>;
  status(): readonly ResourceStatus[];
  close(): Promise<void>;
}

export function selectResources(config: AppConfig, only?: readonly string[]): ResourceSpec[] {
  if (!only || only.length === 0) return [...config.resources];
  const picked = config.resources.filter((r) => only.includes(r.name));
  const unknown = only.filter((n) => !config.resources.some((r) => r.name === n));
  if (unknown.length > 0) {
    const names = config.resources.map((r) => r.name).join(', ') || '(none)';
    throw new AppError('E_USAGE', ExitCode.USAGE, `no resource named ${unknown.join(', ')} in ${config.file} (have: ${names})`);
  }
  return picked;
}

/** The key a render failed on, when it failed because a key does not exist. */
export function missingKeyOf(e: unknown): string | undefined {
  for (let c: unknown = e; c instanceof Error; c = c.cause) if (c instanceof KeyNotFoundError) return c.key;
  return undefined;
}

/**
 * One pass of a worker; with `missing_keys = "wait"`, a render that fails on a missing key is
 * retried (re-reading every backend each second) until the key exists or missing_timeout passes.
 */
async function runOnceWaiting(w: ResourceLoop, o: PassOpts, logger: Logger, clock: Clock): Promise<ProcessResult> {
  const deadline = clock.now() + (w.spec.missingTimeoutMs ?? 60_000);
  for (let logged = ''; ; ) {
    try {
      return await w.runOnce(o);
    } catch (e) {
      const key = missingKeyOf(e);
      if (w.spec.missingKeys !== 'wait' || key === undefined || clock.now() >= deadline) {
        if (w.spec.missingKeys === 'wait' && key !== undefined) throw new ResourceError(w.spec.name, 'render', `gave up waiting for ${key} after ${Math.round((w.spec.missingTimeoutMs ?? 60_000) / 1000)} s (missing_keys = "wait")`, { cause: e });
        throw e;
      }
      if (logged !== key) logger.info({ event: 'key-missing', resource: w.spec.name, key }, 'waiting for a missing key (missing_keys = "wait")');
      logged = key;
      for (const s of w.sources) s.invalidate();
      await abortableSleep(1000, o.signal, clock);
    }
  }
}

/** Identity of a resource's definition, ignoring where in the file it was written. */
function specKey(spec: ResourceSpec): string {
  return JSON.stringify(spec, (k, v) => (k === 'origin' ? undefined : v));
}

interface Running {
  readonly worker: ResourceLoop;
  readonly key: string;
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

export interface ReconfigureSummary {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly restarted: readonly string[];
  readonly unchanged: readonly string[];
}

/** The directory relative paths of a config resolve against (its file's, or the cwd for command-line configs). */
export function baseDirOf(config: AppConfig): string {
  return config.file.startsWith('<') ? process.cwd() : config.file.replace(/\/[^/]*$/, '') || '/';
}

/** One Feed per backend of a resource (no I/O until they load). `intervalMs` applies to backends without their own. */
export function createFeeds(
  spec: ResourceSpec,
  deps: Pick<RunnerDeps, 'env' | 'fetch' | 'createBackend'> & { readonly logger: Logger; readonly clock?: Clock; readonly baseDir: string },
  intervalMs?: number,
): Feed[] {
  return spec.backends.map((b) => {
    const blog = deps.logger.child({ backend: b.name });
    const ctx: BackendContext = { logger: blog, env: deps.env, fetch: deps.fetch ?? nodeFetch, baseDir: deps.baseDir };
    const withInterval = intervalMs !== undefined && b.intervalMs === undefined ? { ...b, intervalMs } : b;
    return new Feed(withInterval, (deps.createBackend ?? createBackend)(b.kind, b.name, b.options, ctx), blog, deps.clock ?? systemClock);
  });
}

export function createRunner(config: AppConfig, deps: RunnerDeps, opts: RunnerOptions): Runner & {
  /** Daemon mode: swap to a new config, restarting only the resources whose definition changed. */
  reconfigure(next: AppConfig): Promise<ReconfigureSummary>;
} {
  const clock = deps.clock ?? systemClock;
  const build = (spec: ResourceSpec, baseDir: string): ResourceLoop => {
    const log = deps.logger.child({ resource: spec.name });
    const feeds = createFeeds(spec, { ...deps, logger: log, clock, baseDir }, opts.intervalMs);
    const guardState = deps.guardState ? deps.guardState(spec, log) : spec.templates.length > 0 ? fileGuardState(spec.name, spec.templates[0].dst, log) : undefined;
    return new ResourceLoop(spec, feeds, { process: deps.process, logger: log, clock, onCycle: deps.onCycle, guardState, allowEmpty: opts.allowEmpty });
  };
  const closeWorker = (w: ResourceLoop) => Promise.all(w.sources.map((s) => s.backend.close().catch(() => {})));
  let workers = selectResources(config, opts.only).map((spec) => build(spec, baseDirOf(config)));
  const running = new Map<string, Running>();
  let main: AbortSignal | undefined;

  const launch = (w: ResourceLoop) => {
    const stop = new AbortController();
    const relay = () => stop.abort(main?.reason);
    main?.addEventListener('abort', relay, { once: true });
    const done = w
      .start({ noop: opts.noop, signal: stop.signal })
      .finally(() => {
        main?.removeEventListener('abort', relay);
        return closeWorker(w);
      })
      .then(() => undefined);
    running.set(w.spec.name, { worker: w, key: specKey(w.spec), stop, done });
  };
  const halt = async (name: string) => {
    const r = running.get(name);
    if (!r) return;
    running.delete(name);
    r.stop.abort(new Error('resource removed or changed by a config reload'));
    await r.done;
  };

  return {
    get workers() {
      return workers;
    },
    async runOnce(signal) {
      const resources: ResourceSummary[] = [];
      for (const w of workers) {
        try {
          const result = await runOnceWaiting(w, { noop: opts.noop, signal, final: true }, deps.logger, clock);
          resources.push({ resource: w.spec.name, ok: true, changed: result.changed, wouldChange: result.wouldChange, exitCode: ExitCode.OK, result });
        } catch (e) {
          deps.logger.error({ event: 'render-failed', resource: w.spec.name, err: errorMessage(e) }, 'resource failed');
          resources.push({ resource: w.spec.name, ok: false, changed: false, wouldChange: false, error: errorMessage(e), exitCode: exitCodeOf(e) });
        }
      }
      const failed = resources.find((r) => !r.ok);
      return { resources, exitCode: failed ? failed.exitCode : ExitCode.OK };
    },
    async start(signal) {
      main = signal;
      deps.logger.info({ event: 'watching', resources: workers.map((w) => w.spec.name) }, `watching ${workers.length} resource(s)`);
      for (const w of workers) launch(w);
      await untilAborted(signal);
      while (running.size > 0) await Promise.all([...running.values()].map((r) => (running.delete(r.worker.spec.name), r.done)));
    },
    async reconfigure(next) {
      // Build every new loop before halting any old one: if one cannot be built, the old
      // configuration keeps running untouched and the error goes to the caller.
      const specs = selectResources(next, opts.only);
      const names = new Set(specs.map((s) => s.name));
      const plan = specs.map((spec) => {
        const current = running.get(spec.name);
        const keep = current !== undefined && current.key === specKey(spec);
        return { spec, current, loop: keep ? current.worker : undefined };
      });
      const built: ResourceLoop[] = [];
      try {
        for (const p of plan) if (!p.loop) built.push((p.loop = build(p.spec, baseDirOf(next))));
      } catch (e) {
        await Promise.all(built.map(closeWorker));
        throw e;
      }
      const summary = { added: [] as string[], removed: [] as string[], restarted: [] as string[], unchanged: [] as string[] };
      for (const name of [...running.keys()]) {
        if (!names.has(name)) {
          await halt(name);
          summary.removed.push(name);
        }
      }
      for (const p of plan) {
        if (p.loop === p.current?.worker) {
          summary.unchanged.push(p.spec.name);
          p.current?.worker.retryFailed(); // SIGHUP retries a transient failure and quarantined keys now
          continue;
        }
        if (p.current) await halt(p.spec.name);
        (p.current ? summary.restarted : summary.added).push(p.spec.name);
        if (main && !main.aborted) launch(p.loop!);
      }
      workers = plan.map((p) => p.loop!);
      return summary;
    },
    status: () => workers.map((w) => w.status()),
    close: async () => {
      await Promise.all(workers.map(closeWorker));
    },
  };
}
