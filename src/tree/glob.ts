/**
 * Go `path.Match` semantics for key globs, one path segment at a time: `*` matches any run of
 * non-`/` characters, `?` one non-`/` character, `[a-z]`/`[^a-z]` a class, `\x` a literal `x`.
 * Splitting on `/` first lets the tree walk only the matching branches (no full scan).
 */
import { compareStrings } from './keys.ts';

const META = /[*?[\\]/;

export function hasMeta(segment: string): boolean {
  return META.test(segment);
}

export type SegmentMatcher = (name: string) => boolean;

/** Compile one glob segment (no `/` inside) to a matcher. Throws on a malformed class, like Go's ErrBadPattern. */
export function compileSegment(segment: string): SegmentMatcher {
  if (!hasMeta(segment)) return (name) => name === segment;
  let re = '^';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      i++;
      if (i >= segment.length) throw new Error(`syntax error in pattern: ${segment}`);
      re += escapeRe(segment[i]);
    } else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) throw new Error(`syntax error in pattern: ${segment}`);
      let body = segment.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      re += `[${negate ? '^/' : ''}${body.replace(/[\]\\^]/g, (m) => `\\${m}`)}]`;
      i = end;
    } else re += escapeRe(c);
  }
  const rx = new RegExp(`${re}$`, 'u');
  return (name) => rx.test(name);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * A normalized key glob split into segments once, so a tree can cache it per pattern string.
 * Segment matchers compile on first use: a malformed class throws exactly when a segment-by-segment
 * walk reaches it, as before caching.
 */
export class KeyPattern {
  /** The normalized pattern. */
  readonly source: string;
  /** The pattern has no meta character at all: an exact key. */
  readonly literal: boolean;
  /** Segments after the leading `/`. */
  readonly segments: readonly string[];
  /** Per segment: contains a meta character. */
  readonly meta: readonly boolean[];
  /** Only the last segment has meta: the matches are children of one directory (`parent`). */
  readonly lastOnly: boolean;
  /** For `lastOnly`: the directory whose children the last segment matches. */
  readonly parent: string;
  readonly #matchers: (SegmentMatcher | undefined)[];

  constructor(pattern: string) {
    this.source = pattern;
    this.literal = !hasMeta(pattern);
    this.segments = pattern.split('/').slice(1);
    this.meta = this.segments.map(hasMeta);
    const last = this.segments.length - 1;
    this.lastOnly = !this.literal && this.meta.indexOf(true) === last;
    this.parent = this.lastOnly ? pattern.slice(0, Math.max(1, pattern.lastIndexOf('/'))) : '';
    this.#matchers = new Array(this.segments.length).fill(undefined);
  }

  /** The compiled matcher of segment `i` (throws on a malformed class). `*` matches every name. */
  matcher(i: number): SegmentMatcher {
    let m = this.#matchers[i];
    if (!m) {
      m = this.segments[i] === '*' ? matchAll : compileSegment(this.segments[i]);
      this.#matchers[i] = m;
    }
    return m;
  }
}

/** `*` alone: every (non-empty, slash-free) child name. */
export const matchAll: SegmentMatcher = () => true;

/** For a normalized `dir/*` whose `dir` has no meta character: `dir` (every child of one directory). */
export function allChildrenOf(pattern: string): string | undefined {
  const n = pattern.length;
  if (n < 2 || pattern.charCodeAt(n - 1) !== 42 || pattern.charCodeAt(n - 2) !== 47) return undefined;
  const dir = n === 2 ? '/' : pattern.slice(0, n - 2);
  return hasMeta(dir) ? undefined : dir;
}

/** A small LRU of parsed patterns, owned by one tree (Map order is recency). */
export class PatternCache {
  readonly #entries = new Map<string, KeyPattern>();
  readonly #limit: number;

  constructor(limit = 256) {
    this.#limit = limit;
  }

  get(pattern: string): KeyPattern {
    let p = this.#entries.get(pattern);
    if (p) this.#entries.delete(pattern);
    else {
      p = new KeyPattern(pattern);
      if (this.#entries.size >= this.#limit) this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(pattern, p);
    return p;
  }
}

/** The directory index a glob walks: dir → child name → count, sorted names, and which paths are keys. */
export interface GlobIndex {
  children(dir: string): ReadonlyMap<string, number> | undefined;
  sortedChildren(dir: string): readonly string[];
  has(key: string): boolean;
}

/** Keys matching a glob, sorted, walking only the matching branches of the index (never every key). */
export function matchKeys(p: KeyPattern, index: GlobIndex): string[] {
  if (p.literal) return index.has(p.source) ? [p.source] : [];
  if (p.lastOnly) return lastSegmentMatches(p, index);
  let dirs = ['/'];
  for (let i = 0; i < p.segments.length; i++) {
    const seg = p.segments[i];
    const next: string[] = [];
    const matches = p.meta[i] ? p.matcher(i) : null;
    for (const d of dirs) {
      const kids = index.children(d);
      if (!kids) continue;
      const prefix = d === '/' ? '/' : `${d}/`;
      if (!matches) {
        if (kids.has(seg)) next.push(prefix + seg);
      } else {
        for (const name of kids.keys()) if (matches(name)) next.push(prefix + name);
      }
    }
    dirs = next;
    if (dirs.length === 0) return [];
  }
  return dirs.filter((k) => index.has(k)).sort(compareStrings);
}

/** Only the last segment has meta: matching children of one directory, already in key order
 *  (every key shares the `dir/` prefix, so name order is key order). */
function lastSegmentMatches(p: KeyPattern, index: GlobIndex): string[] {
  const out: string[] = [];
  const dir = p.parent;
  const last = p.segments.length - 1;
  const names = index.sortedChildren(dir);
  if (names.length === 0) {
    // A segment-by-segment walk compiles (and may reject) the last segment once it reaches `dir`.
    const slash = dir.lastIndexOf('/');
    if (dir === '/' || index.children(slash <= 0 ? '/' : dir.slice(0, slash))?.has(dir.slice(slash + 1))) p.matcher(last);
    return out;
  }
  const matches = p.matcher(last);
  const prefix = dir === '/' ? '/' : `${dir}/`;
  for (let i = 0; i < names.length; i++) {
    if (matches !== matchAll && !matches(names[i])) continue;
    const key = prefix + names[i];
    if (index.has(key)) out.push(key);
  }
  return out;
}
