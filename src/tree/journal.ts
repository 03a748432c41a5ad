/**
 * What changed in a MemoryTree since a point in time: a generation counter and the keys changed
 * after a base generation, in order. Bounded: when it outgrows the tree (past that, copying the
 * whole tree is as cheap as replaying), it forgets and a reader asking from before falls back to a
 * full copy. It lets TreeMirror keep a last-good copy current in O(changes) instead of O(keys).
 */
const MIN_KEEP = 1024;

export class ChangeJournal {
  #generation = 0;
  #base = 0;
  #keys: string[] = [];

  get generation(): number {
    return this.#generation;
  }

  /** `key` changed; `treeSize` bounds what is kept. */
  record(key: string, treeSize: number): void {
    this.#generation++;
    this.#keys.push(key);
    if (this.#keys.length > Math.max(MIN_KEEP, treeSize)) this.reset();
  }

  /** Forget every change (the tree was cleared or the journal outgrew it): readers from before copy in full. */
  reset(): void {
    this.#generation++;
    this.#base = this.#generation;
    this.#keys = [];
  }

  /** The keys changed after `generation` (with repeats), or undefined when that is no longer known. */
  since(generation: number): readonly string[] | undefined {
    if (generation < this.#base || generation > this.#generation) return undefined;
    return this.#keys.slice(generation - this.#base);
  }
}
