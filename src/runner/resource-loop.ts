/**
 * One resource's serial, debounced queue. Watches and intervals only mark the resource dirty;
 * one loop renders it, and a change that arrives while a render, check or reload runs marks it
 * dirty again, so the resource keeps rendering until it has rendered the latest data it saw.
 */
import type { Logger } from 'pino';
import type { ResourceSpec } from '../config/types.ts';
import { errorMessage, isAppError, KeyNotFoundError } from '../errors.ts';
import { DataGuard, DEFAULT_GUARD, type GuardHold } from './guard.ts';
import { mergeTrees } from './merge.ts';
import type { ProcessResult } from '../pipeline/process.ts';
import { abortableSleep, backoff, debounce, DEFAULT_RETRY, systemClock, type Clock, type Debouncer } from '../schedule/schedule.ts';
import type { Feed } from './feed.ts';
import type { KeyTree } from '../tree/key-tree.ts';
import { isRefusal, Quarantine } from './quarantine.ts';
import { retryKind } from './retry.ts';
import { DEFAULT_SUMMARY_EVERY_MS, RepeatGate } from '../schedule/repeat.ts';
import { logRenderFailure, logRenderRecovered } from './error-log.ts';

import type { LoopDeps, PassOpts, ResourceStatus } from './loop-types.ts';
export type { CycleOutcome, LoopDeps, PassOpts, ProcessFn, ResourceStatus } from './loop-types.ts';

/** Poll interval for a backend that cannot watch but was asked to. */
const POLL_FALLBACK_MS = 10_000;
/** Retry tick for quarantined keys when no backend of the resource has an `interval`. */
const QUARANTINE_RETRY_MS = 60_000;

export class ResourceLoop {
  readonly spec: ResourceSpec;
  readonly sources: readonly Feed[];
  readonly #deps: LoopDeps;
  readonly #clock: Clock;
  readonly #log: Logger;
  #dirty = false;
  #running: Promise<void> | undefined;
  #debouncer: Debouncer | undefined;
  #renders = 0;
  #failures = 0;
  #fetchAttempt = 0;
  /** The last pass failed in a way worth retrying without a data change (retry.ts). */
  #retryPending = false;
  #nextRetryAt?: number;
  #lastSuccessAt?: number;
  #lastError?: string;
  readonly #guard: DataGuard;
  #newHolds: readonly GuardHold[] = [];
  readonly #quarantine: Quarantine;
  /** Exact messages (a template error's line number matters). */
  readonly #failureLog: RepeatGate;

  constructor(spec: ResourceSpec, sources: readonly Feed[], deps: LoopDeps) {
    this.spec = spec;
    this.sources = sources;
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
    this.#log = deps.logger;
    this.#guard = new DataGuard(deps.guard ?? spec.guard ?? DEFAULT_GUARD, { logger: this.#log, clock: this.#clock, allowEmpty: deps.allowEmpty, state: deps.guardState });
    this.#failureLog = new RepeatGate(this.#clock, DEFAULT_SUMMARY_EVERY_MS, (m) => m);
    this.#quarantine = new Quarantine({ logger: this.#log, clock: this.#clock, checksPerMinute: deps.quarantineChecksPerMinute });
  }

  status(): ResourceStatus {
    return {
      resource: this.spec.name,
      renders: this.#renders,
      failures: this.#failures,
      lastSuccessAt: this.#lastSuccessAt,
      lastError: this.#lastError,
      nextRetryAt: this.#nextRetryAt,
      sources: this.sources.map((s) => s.status()),
      quarantined: this.#quarantine.list(),
      guards: this.#guard.holds(),
    };
  }

  /**
   * Read every backend and process the resource once. Throws the cycle's error. `final`: no pass
   * follows (a one-shot), so the last good values the guard and quarantine keep are not copied.
   */
  async runOnce(opts: PassOpts): Promise<ProcessResult> {
    const started = this.#clock.now();
    try {
      for (const s of this.sources) if (!s.loaded || s.stale) await s.load(opts.signal);
      const result = await this.#process(opts);
      const guardHolds = this.#newHolds;
      this.#deps.onCycle?.({ resource: this.spec.name, ok: true, result, durationMs: this.#clock.now() - started, ...(guardHolds.length > 0 ? { guardHolds } : {}) });
      return result;
    } catch (error) {
      this.#deps.onCycle?.({ resource: this.spec.name, ok: false, error, durationMs: this.#clock.now() - started });
      throw error;
    }
  }

  /** Daemon mode: render now, then on every change, until `signal` aborts; resolves when drained. */
  async start(opts: { noop: boolean; signal: AbortSignal }): Promise<void> {
    const { signal } = opts;
    this.#debouncer = debounce(this.spec.debounce, () => this.#kick(opts), this.#clock);
    signal.addEventListener('abort', () => this.#debouncer?.cancel(), { once: true });
    this.#kick(opts); // first render is immediate
    // Watches start once the first pass settled: opening one can load a heavy client (etcd3/gRPC
    // evaluates synchronously for hundreds of ms) that would stall the first render. Nothing is
    // lost meanwhile: a watch resumes strictly after the revision the feed was read at.
    const firstPass = (this.#running ?? Promise.resolve()).catch(() => undefined);
    const loops: Promise<void>[] = [];
    for (const s of this.sources) {
      if (s.spec.onetime) continue;
      const canWatch = s.spec.watch && typeof s.backend.watch === 'function';
      if (canWatch) loops.push(firstPass.then(() => this.#watchWhenLoaded(s, signal)));
      let every = s.spec.intervalMs;
      if (s.spec.watch && !canWatch) {
        every ??= POLL_FALLBACK_MS;
        this.#log.info({ event: 'polling', backend: s.backend.name, intervalMs: every }, 'backend cannot watch; polling instead');
      }
      if (every !== undefined) loops.push(this.#poll(s, every, signal));
    }
    loops.push(this.#retryTick(signal));
    await Promise.all(loops);
    while (this.#running) await this.#running;
  }

  /** Something changed: debounce, then run. */
  trigger(reason: string): void {
    this.#log.debug({ reason }, 'change seen');
    if (this.#debouncer) this.#debouncer.tick();
  }

  #kick(opts: { noop: boolean; signal: AbortSignal }): void {
    if (opts.signal.aborted) return;
    if (this.#running) {
      this.#dirty = true;
      return;
    }
    this.#running = this.#loop(opts).finally(() => {
      this.#running = undefined;
    });
  }

  async #loop(opts: { noop: boolean; signal: AbortSignal }): Promise<void> {
    do {
      this.#dirty = false;
      try {
        await this.runOnce(opts);
        this.#fetchAttempt = 0;
        this.#retryPending = false;
      } catch (e) {
        this.#onFailure(e, opts);
      }
    } while (this.#dirty && !opts.signal.aborted);
  }

  async #process(opts: PassOpts): Promise<ProcessResult> {
    this.#newHolds = [];
    if (!opts.noop) await this.#guard.restore(opts.signal);
    for (const s of this.sources) s.freeze();
    let thawedChange = false;
    try {
      // the guard holds prefixes a snapshot emptied at their last good values (noop: the data as it is)
      const view = opts.noop ? { trees: this.sources.map((s) => s.tree), started: [] } : this.#guard.view(this.spec.name, this.sources);
      this.#newHolds = view.started;
      const named = this.sources.map((s, i) => ({ name: s.backend.name, tree: view.trees[i] }));
      const tree = mergeTrees(named, (c) =>
        this.#log.warn({ event: 'key-collision', key: c.key, winner: c.winner, loser: c.loser }, `key collision: ${c.key} is set by both ${c.loser} and ${c.winner}; ${c.winner} wins`),
      );
      const result = opts.noop ? await this.#deps.process(this.spec, tree, opts) : await this.#processQuarantined(tree, opts);
      if (!opts.noop) {
        this.#guard.accept(this.sources, view.trees, { keepValues: !opts.final });
        await this.#guard.persist(this.sources, opts.signal);
      }
      this.#renders++;
      this.#lastSuccessAt = this.#clock.now();
      this.#lastError = undefined;
      logRenderRecovered(this.#failureLog, this.#log);
      return result;
    } finally {
      for (const s of this.sources) thawedChange = s.thaw() || thawedChange;
      if (thawedChange) this.#dirty = true;
    }
  }

  /** Render with held keys at their last good values; on a refusal, bisect and install the rest. */
  async #processQuarantined(merged: KeyTree, opts: PassOpts): Promise<ProcessResult> {
    const tree = this.#quarantine.apply(merged);
    try {
      const result = await this.#deps.process(this.spec, tree, opts);
      if (!opts.final) this.#quarantine.accepted(tree);
      return result;
    } catch (e) {
      if (!isRefusal(e) || opts.signal?.aborted) throw e;
      if (this.spec.missingKeys === 'wait' && e instanceof Error && e.cause instanceof KeyNotFoundError) throw e;
      return this.#quarantine.recover(
        tree,
        e,
        (t) => this.#deps.process(this.spec, t, { ...opts, probe: true }),
        (t) => this.#deps.process(this.spec, t, opts),
      );
    }
  }

  /** Retry every quarantined key now (the retry tick, SIGHUP). */
  retryQuarantined(): void {
    if (this.#quarantine.size === 0) return;
    this.#quarantine.retryAll();
    this.trigger('quarantine retry');
  }

  #onFailure(e: unknown, opts: { noop: boolean; signal: AbortSignal }): void {
    this.#failures++;
    this.#lastError = errorMessage(e);
    if (opts.signal.aborted) return;
    const code = isAppError(e) ? e.code : 'E_INTERNAL';
    logRenderFailure(this.#failureLog, this.#log, code, this.#lastError);
    const kind = retryKind(e, (x) => this.#quarantine.notData(x));
    this.#retryPending = kind !== undefined;
    if (kind === undefined) return;
    const delay = backoff(DEFAULT_RETRY, this.#fetchAttempt++) ?? DEFAULT_RETRY.maxMs;
    const read = kind === 'backend';
    this.#log.info({ event: read ? 'read-retry' : 'transient-retry', delayMs: delay }, read ? 'retrying the backend read' : 'retrying after a transient failure');
    this.#nextRetryAt = this.#clock.now() + delay;
    abortableSleep(delay, opts.signal, this.#clock).then(
      () => {
        this.#nextRetryAt = undefined;
        this.#kick(opts);
      },
      () => {},
    );
  }

  /** Retry now a resource whose last pass failed transiently (SIGHUP); returns whether it did. */
  retryFailed(): boolean {
    this.retryQuarantined();
    if (!this.#retryPending) return false;
    this.trigger('retry after a failure');
    return true;
  }

  async #watchWhenLoaded(s: Feed, signal: AbortSignal): Promise<void> {
    await s.whenLoaded(signal);
    if (signal.aborted) return;
    await s.watch((reason) => this.trigger(`${s.backend.name}: ${reason}`), signal);
  }

  async #poll(s: Feed, everyMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await abortableSleep(everyMs, signal, this.#clock);
      } catch {
        return;
      }
      try {
        if (await s.load(signal)) this.trigger(`${s.backend.name}: interval`);
      } catch {
        // the source logged it and keeps its last good tree
      }
    }
  }

  /** Quarantined keys and transient failures are retried on `interval` (the shortest of the resource's backends; else 60 s). */
  async #retryTick(signal: AbortSignal): Promise<void> {
    const intervals = this.sources.map((s) => s.spec.intervalMs).filter((ms): ms is number => ms !== undefined);
    const every = intervals.length > 0 ? Math.min(...intervals) : QUARANTINE_RETRY_MS;
    while (!signal.aborted) {
      try {
        await abortableSleep(every, signal, this.#clock);
      } catch {
        return;
      }
      this.retryFailed();
    }
  }
}
