/**
 * A plain copy of a tree's values that is brought up to date on demand: the last good state the
 * data guard and quarantine keep. Following the same MemoryTree it replays only the keys changed
 * since the last sync (its ChangeJournal); any other tree, or a journal that no longer reaches
 * back, is copied in full. Copying 41,000 keys on every pass cost ~15 ms; a put costs one key.
 */
import type { KeyTree } from './key-tree.ts';
import { MemoryTree } from './tree.ts';

export class TreeMirror {
  #source: MemoryTree | undefined;
  #generation = 0;
  #values = new Map<string, string>();

  /** The values as of the last sync. Changes in place on the next sync: copy what must outlive it. */
  get values(): ReadonlyMap<string, string> {
    return this.#values;
  }

  /** Make the copy equal to `tree`. */
  sync(tree: KeyTree): void {
    if (tree instanceof MemoryTree && tree === this.#source) {
      const keys = tree.journal.since(this.#generation);
      if (keys !== undefined) {
        for (const k of keys) {
          const v = tree.valueAt(k);
          if (v === undefined) this.#values.delete(k);
          else this.#values.set(k, v);
        }
        this.#generation = tree.journal.generation;
        return;
      }
    }
    if (tree instanceof MemoryTree) {
      this.#values = tree.toMap();
      this.#source = tree;
      this.#generation = tree.journal.generation;
    } else {
      this.#values = new Map(tree.entries().map((p) => [p.key, p.value]));
      this.#source = undefined;
    }
  }
}
