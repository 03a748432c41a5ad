/**
 * Compiled-template caches owned by one engine (never module state). An entry is reused only while
 * the source text it was compiled from is unchanged, so templates are still read fresh on every
 * render and a live edit is picked up by the next one; only the parse/compile work is skipped.
 */

/** A bounded map whose entries are valid only for the exact source text they were built from. */
export class SourceCache<T> {
  readonly #entries = new Map<string, { readonly source: string; readonly value: T }>();
  readonly #limit: number;

  constructor(limit = 128) {
    this.#limit = limit;
  }

  /** The value built from `source` under `name`, building (and remembering) it when absent or stale. */
  get(name: string, source: string, build: () => T): T {
    const hit = this.#entries.get(name);
    if (hit) {
      this.#entries.delete(name);
      if (hit.source === source) {
        this.#entries.set(name, hit); // most recently used
        return hit.value;
      }
    }
    const value = build(); // a throw leaves no entry, so a broken template is re-tried next time
    if (this.#entries.size >= this.#limit) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(name, { source, value });
    return value;
  }

  get size(): number {
    return this.#entries.size;
  }
}
