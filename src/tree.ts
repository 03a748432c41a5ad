/**
 * The key tree templates read: confd/memkv's lookups (exists, get, gets, getv, getvs, ls, lsdir)
 * over a flat map plus a directory index, so every lookup is O(depth + matches), never a scan of
 * every key (memkv scans all keys on each call; at 30,000 keys that is what makes the Go peers
 * quadratic). `KeyTree` is the read-only view templates get; `MemoryTree` also accepts
 * incremental `set`/`delete`, which is how watches apply deltas.
 */
import { KeyNotFoundError } from './errors.ts';
import { compileSegment, hasMeta } from './glob.ts';
import { baseName, normalizeKey, type KeyPath } from './keys.ts';

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

export class MemoryTree implements KeyTree {
  readonly #values = new Map<string, string>();
  /** dir → child name → number of keys at or below dir/child. */
  readonly #children = new Map<string, Map<string, number>>();
  readonly #sortedCache = new Map<string, string[]>();

  constructor(pairs?: Iterable<readonly [string, string]>) {
    if (pairs) for (const [k, v] of pairs) this.set(k, v);
  }

  get size(): number {
    return this.#values.size;
  }

  /** Set a value; returns true when the tree changed. */
  set(rawKey: string, value: string): boolean {
    const key = normalizeKey(rawKey);
    const prev = this.#values.get(key);
    if (prev === value) return false;
    this.#values.set(key, value);
    if (prev === undefined) this.#index(key, 1);
    return true;
  }

  /** Delete a key; returns true when the tree changed. */
  delete(rawKey: string): boolean {
    const key = normalizeKey(rawKey);
    if (!this.#values.delete(key)) return false;
    this.#index(key, -1);
    return true;
  }

  /** Delete every key at or below `prefix` (an etcd v2 recursive directory delete). */
  deleteTree(rawPrefix: string): boolean {
    const prefix = normalizeKey(rawPrefix);
    const doomed = this.#collect(prefix);
    for (const k of doomed) this.delete(k);
    return doomed.length > 0;
  }

  clear(): void {
    this.#values.clear();
    this.#children.clear();
    this.#sortedCache.clear();
  }

  clone(): MemoryTree {
    const t = new MemoryTree();
    for (const [k, v] of this.#values) t.set(k, v);
    return t;
  }

  /** Plain map of every key to its value (for comparisons and snapshots). */
  toMap(): Map<KeyPath, string> {
    return new Map(this.#values as Map<KeyPath, string>);
  }

  exists(key: string): boolean {
    return this.#values.has(normalizeKey(key));
  }

  get(key: string): KVPair {
    const k = normalizeKey(key);
    const v = this.#values.get(k);
    if (v === undefined) throw new KeyNotFoundError(k);
    return kvPair(k, v);
  }

  getv(key: string, fallback?: string): string {
    const k = normalizeKey(key);
    const v = this.#values.get(k);
    if (v !== undefined) return v;
    if (fallback !== undefined) return fallback;
    throw new KeyNotFoundError(k);
  }

  gets(pattern: string): KVPair[] {
    return this.#match(normalizeKey(pattern))
      .sort(compareStrings)
      .map((k) => kvPair(k, this.#values.get(k)!));
  }

  getvs(pattern: string): string[] {
    return this.#match(normalizeKey(pattern))
      .map((k) => this.#values.get(k)!)
      .sort(compareStrings);
  }

  ls(dir: string): string[] {
    const d = normalizeKey(dir);
    const names = this.#sortedChildren(d);
    if (!this.#values.has(d) || d === '/') return names.slice();
    const self = baseName(d);
    return names.includes(self) ? names.slice() : [...names, self].sort(compareStrings);
  }

  lsdir(dir: string): string[] {
    const d = normalizeKey(dir);
    const kids = this.#children.get(d);
    if (!kids) return [];
    return this.#sortedChildren(d).filter((name) => {
      const child = d === '/' ? `/${name}` : `${d}/${name}`;
      return kids.get(name)! - (this.#values.has(child) ? 1 : 0) > 0;
    });
  }

  toObject(prefix = '/'): NestedObject {
    const p = normalizeKey(prefix);
    const out: NestedObject = {};
    for (const name of this.#sortedChildren(p)) {
      const child = p === '/' ? `/${name}` : `${p}/${name}`;
      const v = this.#values.get(child);
      if (this.#children.has(child)) {
        const sub = this.toObject(child);
        if (v !== undefined) sub._value = v;
        out[name] = sub;
      } else if (v !== undefined) out[name] = v;
    }
    return out;
  }

  entries(): KVPair[] {
    return [...this.#values.keys()].sort(compareStrings).map((k) => kvPair(k, this.#values.get(k)!));
  }

  #index(key: string, delta: 1 | -1): void {
    let dir = '/';
    const segments = key.split('/');
    for (let i = 1; i < segments.length; i++) {
      const name = segments[i];
      let kids = this.#children.get(dir);
      if (!kids) {
        kids = new Map();
        this.#children.set(dir, kids);
      }
      const n = (kids.get(name) ?? 0) + delta;
      if (n <= 0) {
        kids.delete(name);
        this.#sortedCache.delete(dir);
        if (kids.size === 0) this.#children.delete(dir);
      } else {
        if (!kids.has(name)) this.#sortedCache.delete(dir);
        kids.set(name, n);
      }
      dir = dir === '/' ? `/${name}` : `${dir}/${name}`;
    }
  }

  #sortedChildren(dir: string): string[] {
    let cached = this.#sortedCache.get(dir);
    if (!cached) {
      const kids = this.#children.get(dir);
      if (!kids) return [];
      cached = [...kids.keys()].sort(compareStrings);
      this.#sortedCache.set(dir, cached);
    }
    return cached;
  }

  /** Keys matching a glob, walking only matching branches of the directory index. */
  #match(pattern: string): string[] {
    if (!hasMeta(pattern)) return this.#values.has(pattern) ? [pattern] : [];
    const segments = pattern.split('/').slice(1);
    let dirs = ['/'];
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      const next: string[] = [];
      const literal = !hasMeta(seg);
      const matches = literal ? null : compileSegment(seg);
      for (const d of dirs) {
        const kids = this.#children.get(d);
        if (!kids) continue;
        const join = (n: string) => (d === '/' ? `/${n}` : `${d}/${n}`);
        if (literal) {
          if (kids.has(seg)) next.push(join(seg));
        } else {
          for (const name of kids.keys()) if (matches!(name)) next.push(join(name));
        }
      }
      dirs = next;
      if (dirs.length === 0) return [];
    }
    return dirs.filter((k) => this.#values.has(k));
  }

  #collect(prefix: string): string[] {
    const out: string[] = [];
    if (this.#values.has(prefix)) out.push(prefix);
    const walk = (dir: string) => {
      const kids = this.#children.get(dir);
      if (!kids) return;
      for (const name of kids.keys()) {
        const child = dir === '/' ? `/${name}` : `${dir}/${name}`;
        if (this.#values.has(child)) out.push(child);
        walk(child);
      }
    };
    walk(prefix);
    return out;
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Build a tree from pairs. */
export function buildTree(pairs: Iterable<readonly [string, string]>): MemoryTree {
  return new MemoryTree(pairs);
}
