/**
 * The read-only view of the key tree that templates get (confd/memkv's lookups), and its pairs.
 * `MemoryTree` (tree.ts) implements it.
 */

/** A key/value pair. `Key`/`Value` are the Go spellings remco and confd templates use. */
export interface KVPair {
  readonly key: string;
  readonly value: string;
  readonly Key: string;
  readonly Value: string;
}

export type NestedObject = { [segment: string]: string | NestedObject };

export interface KeyTree {
  readonly size: number;
  exists(key: string): boolean;
  /** The pair at `key`; throws KeyNotFoundError when absent. */
  get(key: string): KVPair;
  /** The value at `key`, else `fallback`; throws KeyNotFoundError when absent and no fallback is given. */
  getv(key: string, fallback?: string): string;
  /** Pairs whose key matches a Go `path.Match` glob, sorted by key; empty when none. */
  gets(pattern: string): KVPair[];
  /** Values of the keys matching the glob, sorted by value (confd semantics). */
  getvs(pattern: string): string[];
  /** Sorted names of the children of `dir` (and the base name of `dir` when it is itself a key). */
  ls(dir: string): string[];
  /** Sorted names of the children of `dir` that have children of their own. */
  lsdir(dir: string): string[];
  /** The subtree under `prefix` as nested objects. A key that is both a value and a directory
   *  keeps its children; its own value is stored under the segment `_value`. */
  toObject(prefix?: string): NestedObject;
  /** Every pair, sorted by key. */
  entries(): KVPair[];
}

export function kvPair(key: string, value: string): KVPair {
  return { key, value, Key: key, Value: value };
}
