/**
 * ReloadCoalescer: at most one reload per `minIntervalMs`, never two at once. Requests arriving
 * while one is pending join it; requests arriving while one runs get the next one. Every caller
 * gets the result of the reload that covered its request.
 */
import type { ReloadResult } from './reload.ts';

export interface CoalescerDeps {
  readonly now?: () => number;
  readonly setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

interface Pending {
  readonly promise: Promise<ReloadResult>;
  resolve(r: ReloadResult): void;
  reject(e: unknown): void;
  merged: number;
  force: boolean;
}

export class ReloadCoalescer {
  private pending: Pending | undefined;
  private running = false;
  private lastStart = Number.NEGATIVE_INFINITY;
  private timer: { cancel(): void } | undefined;
  private readonly now: () => number;
  private readonly setTimer: NonNullable<CoalescerDeps['setTimer']>;

  constructor(
    private readonly run: () => Promise<ReloadResult>,
    private readonly minIntervalMs: number,
    deps: CoalescerDeps = {},
  ) {
    this.now = deps.now ?? Date.now;
    this.setTimer =
      deps.setTimer ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        return { cancel: () => clearTimeout(t) };
      });
  }

  /** True while a reload is waiting for its slot or running. */
  get busy(): boolean {
    return this.running || this.pending !== undefined;
  }

  /** Ask for a reload. `force` skips the remaining minimum interval (never overlaps a running one). */
  request(opts: { force?: boolean } = {}): Promise<ReloadResult> {
    if (!this.pending) {
      let resolve!: (r: ReloadResult) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<ReloadResult>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.pending = { promise, resolve, reject, merged: 0, force: false };
    }
    const p = this.pending;
    p.merged++;
    if (opts.force) p.force = true;
    this.schedule();
    return p.promise;
  }

  /** Drop a pending (not yet running) reload: its callers get `{ok:false}` with `reason`. */
  cancel(reason: string): void {
    this.timer?.cancel();
    this.timer = undefined;
    const p = this.pending;
    this.pending = undefined;
    p?.resolve({ ok: false, message: reason, oldWorkerPids: [], durationMs: 0, merged: p.merged });
  }

  private schedule(): void {
    if (this.running || !this.pending) return;
    const wait = this.pending.force ? 0 : Math.max(0, this.lastStart + this.minIntervalMs - this.now());
    this.timer?.cancel();
    this.timer = this.setTimer(() => void this.fire(), wait);
  }

  private async fire(): Promise<void> {
    this.timer = undefined;
    const p = this.pending;
    if (!p || this.running) return;
    this.pending = undefined;
    this.running = true;
    this.lastStart = this.now();
    try {
      p.resolve({ ...(await this.run()), merged: p.merged });
    } catch (e) {
      p.reject(e);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
