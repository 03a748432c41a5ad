/**
 * The watches a backend has open, so that `close()` ends every one of them. Each tracked unwatch
 * runs once however often it is called (by the consumer, an abort signal, and close()).
 */
import type { Unwatch } from './contract.ts';

export class OpenWatches {
  readonly #open = new Set<Unwatch>();

  /** Track `unwatch`; returns the idempotent version to hand out. */
  track(unwatch: Unwatch): Unwatch {
    let done: Promise<void> | undefined;
    const once: Unwatch = () => {
      this.#open.delete(once);
      return (done ??= unwatch());
    };
    this.#open.add(once);
    return once;
  }

  /** End every open watch. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#open].map((u) => u()));
  }
}
