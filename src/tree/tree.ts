/**
 * The key tree templates read: confd/memkv's lookups (exists, get, gets, getv, getvs, ls, lsdir) over
 * a flat map plus a directory index: every lookup is O(depth + matches), never a scan of every key
 * (memkv's scans make the Go peers quadratic). `MemoryTree` also takes the watches' set/delete deltas.
 */
import { KeyNotFoundError } from '../errors.ts';
import { allChildrenOf, matchKeys, PatternCache, type GlobIndex } from './glob.ts';
import { ChangeJournal } from './journal.ts';
import { kvPair, type KeyTree, type KVPair, type NestedObject } from './key-tree.ts';
import { baseName, compareStrings, normalizeKey, parentKey, type KeyPath } from './keys.ts';

export class MemoryTree implements KeyTree {
  readonly #values = new Map<string, string>();
  /** dir → child name → number of keys at or below dir/child. */
  readonly #children = new Map<string, Map<string, number>>();
  readonly #sortedCache = new Map<string, string[]>();
  /** lsdir results, dropped when a child of the directory gains its first or loses its last descendant. */
  readonly #lsdirCache = new Map<string, readonly string[]>();
  /** dir → its children that are keys, sorted (`gets("dir/*")`); dropped when one changes. */
  readonly #childKeysCache = new Map<string, ChildKeys>();
  /** Every key, sorted; dropped on any change. */
  #sortedKeys: readonly string[] | undefined;
  readonly #patterns = new PatternCache(); // parsed globs (they do not depend on the contents)
  readonly #journal = new ChangeJournal(); // the keys changed since a generation (TreeMirror)
  /** The directory index as the glob walker sees it. */
  readonly #globIndex: GlobIndex = {
    children: (dir) => this.#children.get(dir),
    sortedChildren: (dir) => this.#sortedChildren(dir),
    has: (key) => this.#values.has(key),
  };

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
    this.#changed(key);
    if (prev === undefined) this.#index(key, 1);
    return true;
  }

  /** Delete a key; returns true when the tree changed. */
  delete(rawKey: string): boolean {
    const key = normalizeKey(rawKey);
    if (!this.#values.delete(key)) return false;
    this.#changed(key);
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
    this.#journal.reset();
    this.#values.clear();
    this.#children.clear();
    this.#sortedCache.clear();
    this.#lsdirCache.clear();
    this.#childKeysCache.clear();
    this.#sortedKeys = undefined;
  }

  clone(): MemoryTree {
    return new MemoryTree(this.#values);
  }

  /** The changes by generation: what a copy taken at a generation lacks (TreeMirror). */
  get journal(): Pick<ChangeJournal, 'generation' | 'since'> {
    return this.#journal;
  }

  /** The value of a normal key, or undefined. */
  valueAt(key: string): string | undefined {
    return this.#values.get(key);
  }

  /** Plain map of every key to its value (for comparisons and snapshots). */
  toMap(): Map<KeyPath, string> {
    return new Map(this.#values as Map<KeyPath, string>);
  }

  /** Number of keys at or below `prefix`, from the directory index (no scan). */
  countUnder(prefix: string): number {
    const p = normalizeKey(prefix);
    if (p === '/') return this.#values.size;
    const slash = p.lastIndexOf('/');
    const parent = slash <= 0 ? '/' : p.slice(0, slash);
    return this.#children.get(parent)?.get(p.slice(slash + 1)) ?? 0;
  }

  exists(key: string): boolean {
    // Stored keys are normal, so a hit needs no normalization.
    return this.#values.has(key) || this.#values.has(normalizeKey(key));
  }

  get(key: string): KVPair {
    const k = this.#values.has(key) ? key : normalizeKey(key);
    const v = this.#values.get(k);
    if (v === undefined) throw new KeyNotFoundError(k);
    return kvPair(k, v);
  }

  getv(key: string, fallback?: string): string {
    let v = this.#values.get(key);
    if (v !== undefined) return v;
    const k = normalizeKey(key);
    if (k !== key) v = this.#values.get(k);
    if (v !== undefined) return v;
    if (fallback !== undefined) return fallback;
    throw new KeyNotFoundError(k);
  }

  gets(pattern: string): KVPair[] {
    const norm = normalizeKey(pattern);
    const dir = allChildrenOf(norm);
    if (dir !== undefined) {
      // Fresh pairs every call: templates may treat them as their own objects.
      const { keys, values } = this.#childKeysOf(dir);
      const out = new Array<KVPair>(keys.length);
      for (let i = 0; i < keys.length; i++) out[i] = kvPair(keys[i], values[i]);
      return out;
    }
    return this.#pairsOf(matchKeys(this.#patterns.get(norm), this.#globIndex));
  }

  getvs(pattern: string): string[] {
    const norm = normalizeKey(pattern);
    const dir = allChildrenOf(norm);
    if (dir !== undefined) return this.#childKeysOf(dir).values.slice().sort(compareStrings);
    const keys = matchKeys(this.#patterns.get(norm), this.#globIndex);
    const out = new Array<string>(keys.length);
    for (let i = 0; i < keys.length; i++) out[i] = this.#values.get(keys[i])!;
    return out.sort(compareStrings);
  }

  ls(dir: string): string[] {
    const d = normalizeKey(dir);
    const names = this.#sortedChildren(d);
    if (d === '/' || !this.#values.has(d)) return names.slice();
    const self = baseName(d);
    return names.includes(self) ? names.slice() : [...names, self].sort(compareStrings);
  }

  lsdir(dir: string): string[] {
    const d = normalizeKey(dir);
    let cached = this.#lsdirCache.get(d);
    if (!cached) {
      cached = this.#computeLsdir(d);
      this.#lsdirCache.set(d, cached);
    }
    return cached.slice();
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
    this.#sortedKeys ??= [...this.#values.keys()].sort(compareStrings);
    return this.#pairsOf(this.#sortedKeys);
  }

  /** A key's value changed, appeared or went: drop what was cached from it. */
  #changed(key: string): void {
    this.#journal.record(key, this.#values.size);
    this.#sortedKeys = undefined;
    if (this.#childKeysCache.size > 0) this.#childKeysCache.delete(parentKey(key));
  }

  #computeLsdir(d: string): string[] {
    const kids = this.#children.get(d);
    if (!kids) return [];
    const prefix = d === '/' ? '/' : `${d}/`;
    const out: string[] = [];
    for (const name of this.#sortedChildren(d)) {
      if (kids.get(name)! - (this.#values.has(prefix + name) ? 1 : 0) > 0) out.push(name);
    }
    return out;
  }

  #index(key: string, delta: 1 | -1): void {
    let dir = '/';
    const segments = key.split('/');
    const last = segments.length - 1;
    for (let i = 1; i <= last; i++) {
      const name = segments[i];
      const child = dir === '/' ? `/${name}` : `${dir}/${name}`;
      let kids = this.#children.get(dir);
      if (!kids) {
        kids = new Map();
        this.#children.set(dir, kids);
      }
      const before = kids.get(name) ?? 0;
      const n = before + delta;
      // lsdir(dir) lists `name` while some key lies strictly below it. At the last step the key is
      // `child` itself, whose count and value move together, so only the steps above can change that.
      if (i < last && this.#lsdirCache.has(dir)) {
        const self = this.#values.has(child) ? 1 : 0;
        if (before - self > 0 !== n - self > 0) this.#lsdirCache.delete(dir);
      }
      if (n <= 0) {
        kids.delete(name);
        this.#sortedCache.delete(dir);
        if (kids.size === 0) this.#children.delete(dir);
      } else {
        if (!kids.has(name)) this.#sortedCache.delete(dir);
        kids.set(name, n);
      }
      dir = child;
    }
  }

  /** Sorted child names of `dir`: the tree's own cached array, never handed out. */
  #sortedChildren(dir: string): readonly string[] {
    let cached = this.#sortedCache.get(dir);
    if (!cached) {
      const kids = this.#children.get(dir);
      if (!kids) return [];
      cached = [...kids.keys()].sort(compareStrings);
      this.#sortedCache.set(dir, cached);
    }
    return cached;
  }

  /** `gets("dir/*")`: the children of `dir` that are keys, sorted, with their values (cached; never handed out). */
  #childKeysOf(dir: string): ChildKeys {
    let cached = this.#childKeysCache.get(dir);
    if (!cached) {
      const names = this.#sortedChildren(dir);
      if (names.length === 0) return NO_CHILD_KEYS; // not cached: misses must not pile up
      const prefix = dir === '/' ? '/' : `${dir}/`;
      const keys: string[] = [];
      const values: string[] = [];
      for (let i = 0; i < names.length; i++) {
        const key = prefix + names[i];
        const v = this.#values.get(key);
        if (v === undefined) continue;
        keys.push(key);
        values.push(v);
      }
      cached = { keys, values };
      this.#childKeysCache.set(dir, cached);
    }
    return cached;
  }

  #pairsOf(keys: readonly string[]): KVPair[] {
    const out = new Array<KVPair>(keys.length);
    for (let i = 0; i < keys.length; i++) out[i] = kvPair(keys[i], this.#values.get(keys[i])!);
    return out;
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

interface ChildKeys {
  readonly keys: readonly string[];
  readonly values: readonly string[];
}
const NO_CHILD_KEYS: ChildKeys = Object.freeze({ keys: [], values: [] });
