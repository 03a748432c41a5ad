/**
 * The pongo2 built-in filters remco templates use that Nunjucks lacks (or spells differently).
 * Semantics follow pongo2/Django; each takes the piped value first, then the filter argument.
 */
import { GoTime } from './gotime.ts';
import { sprintf } from './printf.ts';
import { replace, str, TemplateFunctionError } from './strings.ts';

function toInt(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const s = str(v).trim();
  return /^[+-]?\d+$/.test(s) ? Number(s) : 0;
}

function toFloat(v: unknown, fallback = 0): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const s = str(v).trim();
  if (s === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return fallback;
  return Number(s);
}

function runes(v: unknown): string[] {
  return [...str(v)];
}

function length(v: unknown): number {
  if (Array.isArray(v) || typeof v === 'string') return typeof v === 'string' ? runes(v).length : v.length;
  if (v instanceof Set || v instanceof Map) return v.size;
  if (v !== null && typeof v === 'object') return Object.keys(v).length;
  return 0;
}

function isTruthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v !== null && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

export const integer = (v: unknown): number => toInt(v);
export const float = (v: unknown, fallback?: unknown): number => toFloat(v, fallback === undefined ? 0 : toFloat(fallback));
export const stringformat = (v: unknown, format: unknown): string => sprintf(str(format), v);
export const cut = (v: unknown, what: unknown): string => replace(v, what, '', -1);
export const make_list = (v: unknown): unknown[] => (Array.isArray(v) ? v.slice() : runes(v));
export const default_if_none = (v: unknown, d: unknown): unknown => (v === null || v === undefined ? d : v);
export const length_is = (v: unknown, n: unknown): boolean => length(v) === toInt(n);

export function capfirst(v: unknown): string {
  const r = runes(v);
  if (r.length === 0) return '';
  return r[0].toUpperCase() + r.slice(1).join('');
}

export function ljust(v: unknown, width: unknown): string {
  const s = str(v);
  return s + ' '.repeat(Math.max(0, toInt(width) - runes(s).length));
}

export function rjust(v: unknown, width: unknown): string {
  const s = str(v);
  return ' '.repeat(Math.max(0, toInt(width) - runes(s).length)) + s;
}

/** pongo2 `center`: the odd extra space goes to the left. */
export function center(v: unknown, width: unknown = 80): string {
  const s = str(v);
  const spaces = toInt(width) - runes(s).length;
  if (spaces <= 0) return s;
  const right = Math.floor(spaces / 2);
  return ' '.repeat(spaces - right) + s + ' '.repeat(right);
}

/** pongo2 `add`: numeric sum when both are numbers, else string concatenation. */
export function addFilter(v: unknown, other: unknown): unknown {
  if (typeof v === 'number' && typeof other === 'number') return v + other;
  if (Array.isArray(v) && Array.isArray(other)) return [...v, ...other];
  return str(v) + str(other);
}

/** `yesno:"yes,no,maybe"`: null/undefined → maybe (or no with two choices). */
export function yesno(v: unknown, choices?: unknown): string {
  const spec = choices === undefined || choices === null || choices === '' ? 'yes,no,maybe' : str(choices);
  const c = spec.split(',');
  if (c.length < 2 || c.length > 3) throw new TemplateFunctionError('yesno', 'needs 2 or 3 comma-separated choices');
  if (v === null || v === undefined) return c[2] ?? c[1];
  return isTruthy(v) ? c[0] : c[1];
}

export function divisibleby(v: unknown, n: unknown): boolean {
  const d = toInt(n);
  return d !== 0 && toInt(v) % d === 0;
}

/** Django `floatformat`: N>0 always N decimals; N<0 (default -1) N decimals only when there is a fraction. */
export function floatformat(v: unknown, places?: unknown): string {
  const f = toFloat(v);
  const n = places === undefined || places === null || places === '' ? -1 : toInt(places);
  const digits = Math.abs(n);
  if (n < 0 && Number.isInteger(Number(f.toFixed(digits)))) return Number(f.toFixed(digits)).toFixed(0);
  return f.toFixed(digits);
}

/** Django `pluralize`: `"es"` or `"y,ies"`; plural unless the count (or length) is 1. */
export function pluralize(v: unknown, suffixes?: unknown): string {
  const parts = (suffixes === undefined || suffixes === null ? 's' : str(suffixes)).split(',');
  if (parts.length > 2) throw new TemplateFunctionError('pluralize', 'takes at most 2 comma-separated suffixes');
  const [singular, plural] = parts.length === 1 ? ['', parts[0]] : parts;
  const count = Array.isArray(v) ? v.length : toFloat(v);
  return count === 1 ? singular : plural;
}

/** pongo2 `truncatechars`: longer strings keep `n-3` characters plus `...`. */
export function truncatechars(v: unknown, n: unknown): string {
  const r = runes(v);
  const max = toInt(n);
  if (max >= r.length) return r.join('');
  return max >= 3 ? `${r.slice(0, max - 3).join('')}...` : r.slice(0, Math.max(0, max)).join('');
}

export function addslashes(v: unknown): string {
  return str(v).replace(/[\\"']/g, (c) => `\\${c}`);
}

/** pongo2 `date:"2006-01-02"` on a datetime() value or a JS Date. */
export function date(v: unknown, layout: unknown): string {
  const t = v instanceof GoTime ? v : v instanceof Date ? new GoTime(v) : undefined;
  if (!t) throw new TemplateFunctionError('date', 'expects a datetime() value');
  return t.Format(str(layout));
}

/** pongo2 `slice:"a:b"` with Python bounds (negative counts from the end). */
export function pySlice(v: unknown, spec: string): unknown {
  const m = /^\s*(-?\d+)?\s*:\s*(-?\d+)?\s*$/.exec(spec);
  if (!m) throw new TemplateFunctionError('slice', `bad slice ${JSON.stringify(spec)}`);
  const items = typeof v === 'string' ? runes(v) : Array.isArray(v) ? v : [];
  const norm = (x: string | undefined, dflt: number) => {
    if (x === undefined) return dflt;
    const i = Number(x);
    return Math.min(items.length, Math.max(0, i < 0 ? items.length + i : i));
  };
  const out = items.slice(norm(m[1], 0), norm(m[2], items.length));
  return typeof v === 'string' ? out.join('') : out;
}
