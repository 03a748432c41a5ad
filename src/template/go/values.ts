/**
 * How Go sees keyplate's template values. JavaScript has one number type; Go has int and float64:
 * a plain integer number is an `int`, a `GoFloat` is a `float64` (float literals, numbers decoded
 * by `json`/`jsonArray`). `undefined` is Go's invalid value (a missing map key: `<no value>`),
 * `null` is nil. Plain objects are maps, a KVPair is confd's `memkv.KVPair` struct.
 */

import { GoTime } from '../gotime.ts';

export class GoFloat {
  constructor(readonly value: number) {}
  toJSON(): number {
    return this.value;
  }
}

export const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : v instanceof GoFloat ? v.value : undefined;

export function isKV(v: unknown): v is { Key: string; Value: string } {
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return typeof o.Key === 'string' && typeof o.Value === 'string' && typeof o.key === 'string' && typeof o.value === 'string';
}

/** A plain object (or a Map-like record) that Go would see as a map. */
export function isMap(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof GoFloat || isKV(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Go's type name of a value, as error messages print it. */
export function typeName(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (v instanceof GoFloat) return 'float64';
  if (typeof v === 'function') return 'func';
  if (isKV(v)) return 'memkv.KVPair';
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((x) => typeof x === 'string')) return '[]string';
    if (v.length > 0 && v.every(isKV)) return '[]memkv.KVPair';
    if (v.length > 0 && v.every((x) => typeof x === 'number' && Number.isInteger(x))) return '[]int';
    return '[]interface {}';
  }
  if (isMap(v)) return 'map[string]interface {}';
  if (v instanceof GoTime) return 'time.Time';
  return (v as object).constructor?.name ?? 'struct';
}

/** Go's truth (text/template isTrue): empty, zero and nil are false; structs are true. */
export function truth(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'boolean': return v;
    case 'string': return v.length > 0;
    case 'number': return v !== 0;
    case 'function': return true;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof GoFloat) return v.value !== 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** Go's shortest `%v`/`%g` of a float64 (strconv 'g', -1): exponent form when the exponent is < -4 or >= 6. */
export function formatFloat(f: number, eprec = 6): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const e = f.toExponential();
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(e)!;
  const exp = Number(m[4]);
  if (exp < -4 || exp >= eprec) {
    const mant = m[3] ? `${m[2]}.${m[3]}` : m[2];
    const abs = Math.abs(exp);
    return `${m[1]}${mant}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  const digits = m[2] + (m[3] ?? '');
  let s: string;
  if (exp < 0) s = `0.${'0'.repeat(-exp - 1)}${digits}`;
  else if (digits.length <= exp + 1) s = digits + '0'.repeat(exp + 1 - digits.length);
  else s = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  return m[1] + s;
}

/** fmt's `%v` of a value (nil prints `<nil>`). */
export function formatV(v: unknown, depth = 0): string {
  if (v === undefined || v === null) return '<nil>';
  switch (typeof v) {
    case 'string': return v;
    case 'number': return Number.isInteger(v) ? String(v) : formatFloat(v, 6);
    case 'boolean': return v ? 'true' : 'false';
    case 'function': return '<func>';
  }
  if (depth > 100) return '...';
  if (v instanceof GoFloat) return formatFloat(v.value, 6);
  if (Array.isArray(v)) return `[${v.map((x) => formatV(x, depth + 1)).join(' ')}]`;
  if (isKV(v)) return `{${v.Key} ${v.Value}}`;
  if (isMap(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${formatV(v[k], depth + 1)}`).join(' ')}]`;
  }
  const s = (v as { String?: unknown }).String;
  if (typeof s === 'function') return String(s.call(v));
  if (v instanceof Set) return `[${[...v].map((x) => formatV(x, depth + 1)).join(' ')}]`;
  if (v instanceof Map) return `map[${[...v.keys()].sort().map((k) => `${k}:${formatV(v.get(k), depth + 1)}`).join(' ')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).map((k) => formatV(o[k], depth + 1)).join(' ')}}`;
}

/** What an action `{{ … }}` writes: `<no value>` for a missing value, else `%v`. */
export function printValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '<no value>';
  return formatV(v);
}

/** Deep-convert numbers decoded from JSON into float64s (Go's encoding/json into interface{}). */
export function jsonToGo(v: unknown): unknown {
  if (typeof v === 'number') return new GoFloat(v);
  if (Array.isArray(v)) return v.map(jsonToGo);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonToGo(x);
    return out;
  }
  return v;
}

/** The reverse, for functions shared with the Nunjucks side. */
export function goToJs(v: unknown): unknown {
  if (v instanceof GoFloat) return v.value;
  if (Array.isArray(v) && v.some((x) => x instanceof GoFloat || (x !== null && typeof x === 'object'))) return v.map(goToJs);
  return v;
}
