/**
 * Several backends feed one resource: their trees merge into one, the later backend (in config
 * order) winning a key both hold, with a warning naming both (remco semantics). A single backend's
 * tree is used as it is, with no copy.
 */
import type { Feed } from './feed.ts';
import type { KeyTree } from '../tree/key-tree.ts';
import { MemoryTree } from '../tree/tree.ts';

export interface KeyCollision {
  readonly key: string;
  readonly winner: string;
  readonly loser: string;
}

export function mergeFeeds(sources: readonly Feed[], onCollision: (c: KeyCollision) => void): KeyTree {
  return mergeTrees(sources.map((s) => ({ name: s.backend.name, tree: s.tree })), onCollision);
}

/** The same over named trees (the guard's view of each feed). */
export function mergeTrees(sources: ReadonlyArray<{ readonly name: string; readonly tree: KeyTree }>, onCollision: (c: KeyCollision) => void): KeyTree {
  if (sources.length === 1) return sources[0].tree;
  const merged = new MemoryTree();
  const owner = new Map<string, string>();
  for (const s of sources) {
    for (const { key, value } of s.tree.entries()) {
      const prev = owner.get(key);
      if (prev !== undefined) onCollision({ key, winner: s.name, loser: prev });
      owner.set(key, s.name);
      merged.set(key, value);
    }
  }
  return merged;
}
