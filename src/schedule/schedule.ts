/**
 * Everything timer-shaped, over an injected clock so it is tested without sleeping:
 * debounce with a ceiling (consul-template's quiescence), exponential backoff with jitter, and an
 * abortable sleep.
 */

export type TimerHandle = { readonly __timer: unique symbol } | NodeJS.Timeout;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => {
    if (h !== undefined) clearTimeout(h as NodeJS.Timeout);
  },
};

export interface DebounceSpec {
  /** Quiet time after the last change before rendering (0 = render at once). */
  readonly minMs: number;
  /** Never wait longer than this after the first change of a burst. */
  readonly maxMs: number;
}

export interface Debouncer {
  /** A change happened: fire after `minMs` of quiet, but never later than `maxMs` after the first tick. */
  tick(): void;
  /** Fire now if a tick is pending. */
  flush(): void;
  cancel(): void;
  readonly pending: boolean;
}

export function debounce(opts: { readonly minMs: number; readonly maxMs: number }, fire: () => void, clock: Clock = systemClock): Debouncer {
  let timer: TimerHandle | undefined;
  let deadline: number | undefined;
  const run = () => {
    clock.clearTimeout(timer);
    timer = undefined;
    deadline = undefined;
    fire();
  };
  return {
    get pending() {
      return timer !== undefined;
    },
    tick() {
      if (opts.minMs <= 0) {
        run();
        return;
      }
      const now = clock.now();
      deadline ??= now + Math.max(opts.maxMs, opts.minMs);
      const wait = Math.max(0, Math.min(opts.minMs, deadline - now));
      clock.clearTimeout(timer);
      timer = clock.setTimeout(run, wait);
    },
    flush() {
      if (timer !== undefined) run();
    },
    cancel() {
      clock.clearTimeout(timer);
      timer = undefined;
      deadline = undefined;
    },
  };
}

export interface RetryPolicy {
  /** 0 = retry forever. */
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  readonly jitter: boolean;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 0, baseMs: 500, maxMs: 30_000, jitter: true };

/** Delay before retry number `attempt` (0-based), or null to give up. Full jitter keeps a fleet from stampeding. */
export function backoff(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number | null {
  if (policy.attempts > 0 && attempt >= policy.attempts) return null;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return policy.jitter ? Math.round(ceiling / 2 + (random() * ceiling) / 2) : ceiling;
}

/** Consecutive failures over a policy: `next()` is the delay before the next attempt, `reset()` follows a success. */
export class Retry {
  #attempt = 0;
  readonly #policy: RetryPolicy;
  readonly #random: () => number;
  constructor(policy: RetryPolicy, random: () => number = Math.random) {
    this.#policy = policy;
    this.#random = random;
  }

  next(): number {
    return backoff(this.#policy, Math.min(this.#attempt++, 30), this.#random) ?? this.#policy.maxMs;
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/** Wait `ms`; resolves false (never throws) when the signal aborts first. */
export async function sleepUnlessAborted(ms: number, signal?: AbortSignal, clock: Clock = systemClock): Promise<boolean> {
  try {
    await abortableSleep(ms, signal, clock);
    return true;
  } catch {
    return false;
  }
}

/** Resolve after `ms`, or reject with the signal's reason when aborted first. */
export function abortableSleep(ms: number, signal?: AbortSignal, clock: Clock = systemClock): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal!.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Resolves once `signal` aborts, at once when it already has. (A bare `addEventListener('abort')`
 * on a signal that aborted earlier never fires: awaiting it hangs forever.)
 */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
