/**
 * Rate limit for a failure that repeats (an outage retried every second): the first occurrence
 * of each message (a read and a watch fail with different texts, often alternating) is logged in
 * full; repeats of a message already logged during this outage are counted
 * and summarized at most once per `summaryEveryMs` ("still failing (N times since …)"); the
 * first success after failures reports the recovery with the count. By default messages compare
 * with their digits masked, so ports, counters and durations inside them do not defeat the limit;
 * a caller whose digits matter (a template error's line) passes its own `shape`.
 */
import type { Clock } from './schedule.ts';

export const DEFAULT_SUMMARY_EVERY_MS = 60_000;
/** Past this many different messages in one outage, new ones are only counted and summarized. */
const MAX_SHAPES = 16;

export type RepeatVerdict =
  /** Log it in full (first failure, or a different message). */
  | { readonly log: 'full'; readonly count: number; readonly sinceMs: number }
  /** Log a summary: `count` failures since `sinceMs` (epoch ms). */
  | { readonly log: 'summary'; readonly count: number; readonly sinceMs: number }
  /** Stay quiet (at most debug). */
  | { readonly log: 'quiet'; readonly count: number; readonly sinceMs: number };

const maskDigits = (message: string) => message.replace(/\d+/g, '#');

export class RepeatGate {
  /** Message shapes already logged in full during the current outage (bounded). */
  readonly #shapes = new Set<string>();
  #count = 0;
  #since = 0;
  #lastLogged = 0;

  constructor(
    private readonly clock: Clock,
    private readonly summaryEveryMs = DEFAULT_SUMMARY_EVERY_MS,
    private readonly shape: (message: string) => string = maskDigits,
  ) {}

  /** True while failing (since the last `recovered()`). */
  get failing(): boolean {
    return this.#count > 0;
  }

  failed(message: string): RepeatVerdict {
    const now = this.clock.now();
    const shape = this.shape(message);
    if (this.#count === 0) this.#since = now;
    this.#count++;
    if (!this.#shapes.has(shape) && this.#shapes.size < MAX_SHAPES) {
      this.#shapes.add(shape);
      this.#lastLogged = now;
      return { log: 'full', count: this.#count, sinceMs: this.#since };
    }
    if (now - this.#lastLogged >= this.summaryEveryMs) {
      this.#lastLogged = now;
      return { log: 'summary', count: this.#count, sinceMs: this.#since };
    }
    return { log: 'quiet', count: this.#count, sinceMs: this.#since };
  }

  /** A success: the failures it ends (count and start), or undefined when nothing was failing. */
  recovered(): { readonly count: number; readonly sinceMs: number } | undefined {
    if (this.#count === 0) return undefined;
    const out = { count: this.#count, sinceMs: this.#since };
    this.#count = 0;
    this.#shapes.clear();
    return out;
  }
}
