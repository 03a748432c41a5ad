/**
 * Turns snapshots of cumulative counters (e.g. HaproxyController.counters) into increments, the
 * way Prometheus treats a counter reset: when any value is lower than the last one seen (or the
 * counters come from a new owner, e.g. a controller rebuilt after a config reload), the snapshot
 * counts in full, as counters that started again from zero: nothing already counted is counted
 * twice, and nothing counted since the reset is lost.
 */

export type CounterSnapshot<K extends string> = { readonly [P in K]: number };

export class CounterDeltas<K extends string> {
  #last: Partial<Record<K, number>> = {};
  #instance: unknown;

  /**
   * Increments since the previous snapshot. `instance` identifies the counters' owner: when it
   * changes, the new snapshot counts in full (its counters started at zero).
   */
  next(snapshot: CounterSnapshot<K>, instance?: unknown): Record<K, number> {
    const keys = Object.keys(snapshot) as K[];
    const valid = (k: K) => Number.isFinite(snapshot[k]) && snapshot[k] >= 0;
    // the counters share one owner: any of them going down means all restarted from zero
    const reset = (instance !== undefined && instance !== this.#instance) || keys.some((k) => valid(k) && snapshot[k] < (this.#last[k] ?? 0));
    if (reset) this.#last = {};
    if (instance !== undefined) this.#instance = instance;
    const out = {} as Record<K, number>;
    for (const k of keys) {
      if (!valid(k)) {
        out[k] = 0;
        continue;
      }
      out[k] = snapshot[k] - (this.#last[k] ?? 0);
      this.#last[k] = snapshot[k];
    }
    return out;
  }
}
