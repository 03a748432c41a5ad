/**
 * Structured data → flat keys, as confd's file backend does: object keys become path segments,
 * list items their index (or, with `arrayKey`, a name such as Rancher's `name` field), and
 * scalars are stringified (`null` → "null", booleans and numbers as written).
 */
import { normalizeKey, type KeyPath } from '../tree/keys.ts';

export interface FlattenOptions {
  /** Name a list item; `taken` holds the names already given in this list. Undefined: its index. */
  readonly arrayKey?: (item: unknown, index: number, taken: ReadonlySet<string>) => string | undefined;
}

/** Flatten `value` under `root` into `out` (a new map by default). */
export function flatten(value: unknown, root = '/', opts: FlattenOptions = {}, out = new Map<KeyPath, string>()): Map<KeyPath, string> {
  walk(value, normalizeKey(root), out, opts);
  return out;
}

function walk(value: unknown, path: string, out: Map<KeyPath, string>, opts: FlattenOptions): void {
  const child = (seg: string) => normalizeKey(`${path}/${seg.replaceAll('/', '_')}`);
  if (Array.isArray(value)) {
    const taken = new Set<string>();
    value.forEach((item, i) => {
      const seg = opts.arrayKey?.(item, i, taken) ?? String(i);
      taken.add(seg);
      walk(item, child(seg), out, opts);
    });
  } else if (value instanceof Date) {
    out.set(path as KeyPath, value.toISOString());
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walk(v, child(k), out, opts);
  } else {
    out.set(path as KeyPath, scalarToString(value));
  }
}

export function scalarToString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return v;
  return String(v);
}
