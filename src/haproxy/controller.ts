/**
 * HaproxyController: keeps a supervised HAProxy in step with the rendered files. Every change is
 * either nothing, Runtime API commands (no reload), or a coalesced reload; one queue serialises
 * file installs, runtime commands, reloads and restarts. Events: `applied` (ApplyResult),
 * `reload` (ReloadResult), and the supervisor's `started`, `restarting`, `exit`, `failed`.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { cliCommand } from './runtime-socket.ts';
import { ReloadCoalescer } from './coalesce.ts';
import type { HaproxyModel } from './model.ts';
import type { HaproxyControllerOptions } from './options.ts';
import { planApply, type ApplyMethod, type ApplyPlan } from './plan.ts';
import { HaproxySupervisor, type StartInfo } from './supervisor.ts';
import { SerialQueue } from './queue.ts';
import { reloadHaproxy, type ReloadResult } from './reload.ts';
import { applyRuntime, retryPendingDeletes, verifyRuntime, type CliClient, type PendingDeletes, type RuntimeApplyResult } from './runtime.ts';
import { readSnapshot, type LoadedFiles } from './snapshot.ts';
import { systemClock } from '../schedule/schedule.ts';

export interface ApplyResult {
  readonly method: ApplyMethod;
  /** False when the reload (or the runtime apply and its fallback reload) failed. */
  readonly ok: boolean;
  /** One line for logs: why this method, or what failed. */
  readonly reason: string;
  readonly reasons: readonly string[];
  /** Runtime commands (rendered) for method `runtime`, or for a runtime attempt that fell back. */
  readonly commands: readonly string[];
  readonly runtime?: RuntimeApplyResult;
  readonly reload?: ReloadResult;
  readonly warnings: readonly string[];
  readonly durationMs: number;
}

export interface HaproxyCounters {
  /** Changes applied through the Runtime API without a reload. */
  readonly runtimeApplies: number;
  readonly runtimeCommands: number;
  /** Runtime applies that failed (command error or read-back mismatch) and fell back to a reload. */
  readonly runtimeFailures: number;
  /** Successful reloads (coalesced: one per actual reload). */
  readonly reloads: number;
  readonly reloadFailures: number;
  /** Automatic restarts after HAProxy died. */
  readonly restarts: number;
  /** apply() calls that found nothing to do. */
  readonly noops: number;
}

export interface ApplyOptions {
  /** Write the new files inside the queue (never during a reload or runtime batch). */
  readonly install?: () => Promise<void>;
  /** Reload without waiting for the rest of the minimum reload interval. */
  readonly forceReload?: boolean;
  readonly signal?: AbortSignal;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Decision = { readonly done: ApplyResult } | { readonly reloadReasons: readonly string[]; readonly plan?: ApplyPlan; readonly runtime?: RuntimeApplyResult };

export class HaproxyController extends EventEmitter {
  readonly supervisor: HaproxySupervisor;
  private readonly queue = new SerialQueue();
  private readonly coalescer: ReloadCoalescer;
  private readonly cwd: string;
  private readonly stats: Mutable<HaproxyCounters> = { runtimeApplies: 0, runtimeCommands: 0, runtimeFailures: 0, reloads: 0, reloadFailures: 0, restarts: 0, noops: 0 };
  private applied: LoadedFiles | undefined;
  /** Removed servers still in maintenance, waiting for their connections to go (see runtime.ts). */
  private readonly pendingDeletes: PendingDeletes = new Map();
  private pendingTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly options: HaproxyControllerOptions,
    private readonly deps: { readonly logger: Logger; readonly now?: () => number },
  ) {
    super();
    this.cwd = options.cwd ?? process.cwd();
    this.supervisor = new HaproxySupervisor({ ...options, cwd: this.cwd }, deps.logger, {
      beforeSpawn: async () => {
        this.applied = await this.load();
        this.pendingDeletes.clear();
      },
      exclusive: (fn) => this.queue.run(fn),
    });
    for (const ev of ['started', 'restarting', 'exit', 'failed']) this.supervisor.on(ev, (x: unknown) => this.emit(ev, x));
    this.supervisor.on('started', (i: StartInfo) => void (i.restarted && this.stats.restarts++));
    this.coalescer = new ReloadCoalescer(() => this.queue.run(() => this.reloadNow()), options.minReloadIntervalMs ?? 2000, { now: deps.now });
  }

  private now(): number {
    return this.deps.now?.() ?? (this.options.clock ?? systemClock).now();
  }

  get counters(): HaproxyCounters {
    return { ...this.stats };
  }
  /** Resolves after stop(); rejects with HaproxyProcessError when HAProxy could not be kept up. */
  get closed(): Promise<void> {
    return this.supervisor.closed;
  }
  /** The model of the files the running worker has loaded (plus runtime changes applied since). */
  get appliedModel(): HaproxyModel | undefined {
    return this.applied?.model;
  }

  /** A client for the running HAProxy's admin socket (or the master's `@1`); undefined before it started. */
  runtimeClient(): CliClient | undefined {
    return this.supervisor.state === 'running' && this.applied ? this.cliClient(this.applied.model) : undefined;
  }

  /** Start HAProxy on the files now on disk (call after the first successful render). */
  start(signal?: AbortSignal): Promise<StartInfo> {
    return this.queue.run(() => this.supervisor.start(signal));
  }

  /** Drain and stop HAProxy (see HaproxySupervisor.stop); pending reloads are dropped. */
  async stop(opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    this.coalescer.cancel('haproxy is stopping');
    clearTimeout(this.pendingTimer);
    this.pendingDeletes.clear();
    await this.supervisor.stop(opts);
  }

  /** A coalesced reload of the files on disk (at most one per minReloadIntervalMs). */
  reload(opts: { force?: boolean } = {}): Promise<ReloadResult> {
    return this.coalescer.request(opts);
  }

  /**
   * Bring HAProxy in step with the files on disk (installed by the caller before, or by
   * `opts.install` inside the queue). Diffs what the running worker has against the files and
   * applies the change at runtime, or reloads. On a failed reload the old worker keeps serving;
   * the caller restores its last-known-good files (e.g. `apply({install: restore})`).
   */
  async apply(opts: ApplyOptions = {}): Promise<ApplyResult> {
    const started = this.now();
    const d = await this.queue.run(() => this.decide(opts, started));
    if ('done' in d) return this.finish(d.done);
    const reload = await this.coalescer.request({ force: opts.forceReload });
    const reason = reload.ok ? `reloaded: ${d.reloadReasons.join('; ')}` : `reload failed: ${reload.message}`;
    return this.finish({
      method: 'reload',
      ok: reload.ok,
      reason,
      reasons: d.reloadReasons,
      commands: d.plan?.commands ?? [],
      runtime: d.runtime,
      reload,
      warnings: d.runtime?.warnings ?? [],
      durationMs: this.now() - started,
    });
  }

  private finish(r: ApplyResult): ApplyResult {
    this.deps.logger[r.ok ? 'info' : 'error']({ event: r.ok ? 'haproxy-apply' : 'haproxy-apply-failed', method: r.method, reasons: r.reasons, ms: r.durationMs }, `haproxy apply: ${r.reason}`);
    this.emit('applied', r);
    return r;
  }

  private async decide(opts: ApplyOptions, started: number): Promise<Decision> {
    if (opts.install) await opts.install();
    const done = (method: ApplyMethod, reason: string, extra: Partial<ApplyResult> = {}): Decision => ({
      done: { method, ok: true, reason, reasons: [reason], commands: [], warnings: [], durationMs: this.now() - started, ...extra },
    });
    if (this.supervisor.state !== 'running' || !this.applied) return done('none', `haproxy is ${this.supervisor.state}: it loads the files when it (re)starts`);
    const next = await this.load();
    const plan = planApply(this.applied.model, next.model, { bulkMapThreshold: this.options.bulkMapThreshold });
    if (plan.method === 'none') {
      this.applied = next;
      this.stats.noops++;
      return done('none', 'no change');
    }
    if (plan.method === 'reload') return { reloadReasons: plan.reasons };
    if (this.options.disableRuntimeApi) return { reloadReasons: ['runtime API disabled', ...plan.reasons] };
    const rt = await this.runRuntime(plan, next, opts.signal);
    if (!rt.ok) {
      this.stats.runtimeFailures++;
      return { reloadReasons: [`runtime apply failed (${rt.error}): reloading`], plan, runtime: rt };
    }
    this.applied = next;
    this.stats.runtimeApplies++;
    return done('runtime', plan.reasons.join('; '), { reasons: plan.reasons, commands: plan.commands, runtime: rt, warnings: rt.warnings });
  }

  private async runRuntime(plan: ApplyPlan, next: LoadedFiles, signal?: AbortSignal): Promise<RuntimeApplyResult> {
    const client = this.cliClient(next.model);
    const rt = await applyRuntime(plan.ops, {
      client,
      removeTimeoutMs: this.options.removeServerTimeoutMs,
      pendingDeletes: this.pendingDeletes,
      signal,
      logger: this.deps.logger,
    });
    this.stats.runtimeCommands += rt.commandsSent;
    this.schedulePendingDeletes();
    if (!rt.ok) return rt;
    const problems = await verifyRuntime(next.model, plan.ops, client, { pendingDeletes: this.pendingDeletes, signal }).catch((e: unknown) => [
      `read-back failed: ${e instanceof Error ? e.message : String(e)}`,
    ]);
    return problems.length === 0 ? rt : { ...rt, ok: false, error: `read-back: ${problems.join('; ')}` };
  }

  private async reloadNow(): Promise<ReloadResult> {
    const state = this.supervisor.state;
    if (state === 'restarting' || state === 'starting') {
      // the (re)starting process reads the files on disk itself; a failed restart is reported as `failed`
      return { ok: true, message: `haproxy is ${state}: it loads the current files`, oldWorkerPids: [], durationMs: 0 };
    }
    if (state !== 'running') return { ok: false, message: `haproxy is ${state}`, oldWorkerPids: [], durationMs: 0 };
    const files = await this.load();
    const r = await reloadHaproxy(this.supervisor, {
      check: this.options.checkBeforeReload ?? true,
      checkTimeoutMs: this.options.checkTimeoutMs,
      timeoutMs: this.options.reloadTimeoutMs,
    });
    if (r.ok) {
      this.applied = files;
      this.pendingDeletes.clear();
      this.stats.reloads++;
    } else this.stats.reloadFailures++;
    this.deps.logger[r.ok ? 'info' : 'error']({ event: r.ok ? 'haproxy-reload' : 'haproxy-reload-failed', ...r }, r.ok ? 'haproxy reloaded' : 'haproxy reload failed');
    this.emit('reload', r);
    return r;
  }

  /** Retry pending server deletions every second (inside the queue) until none is left. */
  private schedulePendingDeletes(): void {
    if (this.pendingDeletes.size === 0 || this.pendingTimer) return;
    this.pendingTimer = setTimeout(() => {
      this.pendingTimer = undefined;
      void this.queue
        .run(async () => {
          if (this.supervisor.state !== 'running' || !this.applied) return;
          await retryPendingDeletes(this.pendingDeletes, this.cliClient(this.applied.model));
        })
        .catch((e: unknown) => this.deps.logger.warn({ err: e }, 'haproxy: retrying server deletion failed'))
        .finally(() => this.schedulePendingDeletes());
    }, 1000);
    this.pendingTimer.unref();
  }

  private cliClient(model: HaproxyModel): CliClient {
    const admin = this.options.adminSocket ?? model.adminSocket;
    if (admin) return (cmd, o) => cliCommand(admin, cmd, o);
    const master = this.options.masterSocket;
    return (cmd, o) => cliCommand(master, `@1 ${cmd}`, o);
  }

  private load(): Promise<LoadedFiles> {
    return readSnapshot({ configFiles: this.options.configFiles, cwd: this.cwd, extraFiles: this.options.extraFiles });
  }
}
