/**
 * List, map, set and integer helpers: confd's reverse/sortByLength/sortKVByLength/seq and
 * arithmetic, remco's createMap/createSet and index/mapValue filters.
 */
import { str, TemplateFunctionError } from './strings.ts';

function list(fn: string, v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Set) return [...v];
  if (v === null || v === undefined) return [];
  throw new TemplateFunctionError(fn, `expected a list, got ${typeof v}`);
}

/** A reversed copy (confd reverses in place; a copy is safer and renders the same). Strings reverse by character. */
export function reverse(v: unknown): unknown {
  if (typeof v === 'string') return [...v].reverse().join('');
  return list('reverse', v).slice().reverse();
}

function keyLength(v: unknown): number {
  if (v !== null && typeof v === 'object' && 'Key' in v) return str((v as { Key: unknown }).Key).length;
  if (v !== null && typeof v === 'object' && 'key' in v) return str((v as { key: unknown }).key).length;
  return str(v).length;
}

/** Strings (or KV pairs, by key) sorted by length ascending; stable, so ties keep input order. */
export function sortByLength(v: unknown): unknown[] {
  return list('sortByLength', v).slice().sort((a, b) => keyLength(a) - keyLength(b));
}

/** KV pairs sorted by key length ascending; stable. */
export function sortKVByLength(v: unknown): unknown[] {
  return list('sortKVByLength', v).slice().sort((a, b) => keyLength(a) - keyLength(b));
}

/** pongo2's `sorted` loop modifier: numbers numerically, everything else by string; objects by key. */
export function sortedForLoop(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Set)) {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) out[k] = o[k];
    return out;
  }
  if (typeof v === 'string') return [...v].sort();
  return list('sorted', v).slice().sort((a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    const x = str(a);
    const y = str(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** pongo2's `reversed` loop modifier: objects iterate their keys backwards. */
export function reversedForLoop(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Set)) {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).reverse()) out[k] = o[k];
    return out;
  }
  return reverse(v);
}

function int(fn: string, v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^[+-]?\d+$/.test(v.trim())) return Number(v.trim());
  throw new TemplateFunctionError(fn, `expected an integer, got ${JSON.stringify(v) ?? String(v)}`);
}

export const add = (a: unknown, b: unknown): number => int('add', a) + int('add', b);
export const sub = (a: unknown, b: unknown): number => int('sub', a) - int('sub', b);
export const mul = (a: unknown, b: unknown): number => int('mul', a) * int('mul', b);

/** Integer division truncating toward zero, like Go. */
export function div(a: unknown, b: unknown): number {
  const d = int('div', b);
  if (d === 0) throw new TemplateFunctionError('div', 'integer divide by zero');
  return Math.trunc(int('div', a) / d);
}

/** Go `%`: the sign follows the dividend. */
export function mod(a: unknown, b: unknown): number {
  const d = int('mod', b);
  if (d === 0) throw new TemplateFunctionError('mod', 'integer divide by zero');
  return int('mod', a) % d;
}

const SEQ_MAX = 1_000_000;

/** Inclusive integer range `[a..b]`; empty when `a > b` (confd). */
export function seq(a: unknown, b: unknown): number[] {
  const from = int('seq', a);
  const to = int('seq', b);
  if (to - from + 1 > SEQ_MAX) throw new TemplateFunctionError('seq', `range too large (${to - from + 1} > ${SEQ_MAX})`);
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

/** remco `index:"n"`: element n, negative counts from the end; undefined when out of range. */
export function index(v: unknown, n: unknown): unknown {
  const items = typeof v === 'string' ? [...v] : list('index', v);
  const i = int('index', n);
  const at = i < 0 ? items.length + i : i;
  return at >= 0 && at < items.length ? items[at] : undefined;
}

/** remco `mapValue:"key"`: map lookup; undefined when missing. */
export function mapValue(v: unknown, key: unknown): unknown {
  if (v instanceof Map) return v.get(key);
  if (v instanceof TemplateMap) return v.Get(key);
  if (v === null || typeof v !== 'object') return undefined;
  const k = str(key);
  return Object.prototype.hasOwnProperty.call(v, k) ? (v as Record<string, unknown>)[k] : undefined;
}

/** remco `createMap()`: Set/Remove return "" so they can be called inside `{{ }}`. */
export class TemplateMap {
  readonly #m = new Map<string, unknown>();
  Set(k: unknown, v: unknown): string {
    this.#m.set(str(k), v);
    return '';
  }
  Get(k: unknown): unknown {
    return this.#m.get(str(k));
  }
  Remove(k: unknown): string {
    this.#m.delete(str(k));
    return '';
  }
  toJSON(): Record<string, unknown> {
    return Object.fromEntries(this.#m);
  }
}

/** remco `createSet()`: a string set; marshals to its sorted members. */
export class TemplateSet {
  readonly #s = new Set<string>();
  Append(v: unknown): string {
    this.#s.add(str(v));
    return '';
  }
  Remove(v: unknown): string {
    this.#s.delete(str(v));
    return '';
  }
  Contains(v: unknown): boolean {
    return this.#s.has(str(v));
  }
  SortedSet(): string[] {
    return [...this.#s].sort();
  }
  toJSON(): string[] {
    return this.SortedSet();
  }
}

export const createMap = (): TemplateMap => new TemplateMap();
export const createSet = (): TemplateSet => new TemplateSet();
