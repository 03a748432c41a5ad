/**
 * text/template's built-in functions (funcs.go) and the function-table shape the executor calls:
 * each function declares its parameter kinds so arguments are checked the way Go's reflection
 * checks them (`wrong number of args`, `wrong type for value; expected string; got int`).
 * `and`/`or` are evaluated lazily by the executor (they short-circuit and return an operand).
 */
import { eq, ge, gt, le, lt, ne } from './compare.ts';
import type { ParsedFormat } from '../printf.ts';
import { goSprint, goSprintf, goSprintln } from './printf.ts';
import { GoFloat, isMap, num, truth, typeName } from './values.ts';

/** `s` string, `i` int, `b` bool, `a` any value (interface{}). */
export type Param = 's' | 'i' | 'b' | 'a';

export interface GoFunc {
  readonly fn: (...args: any[]) => unknown;
  readonly params: readonly Param[];
  /** Kind of the variadic tail, when the function takes one. */
  readonly variadic?: Param;
}

export type FuncMap = ReadonlyMap<string, GoFunc>;

export class BuiltinError extends Error {}

export const f = (fn: (...args: any[]) => unknown, params: readonly Param[], variadic?: Param): GoFunc => ({ fn, params, variadic });

function length(v: unknown): number {
  if (v === undefined || v === null) throw new BuiltinError('len of nil pointer');
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  if (v instanceof Map || v instanceof Set) return v.size;
  throw new BuiltinError(`len of type ${typeName(v)}`);
}

function intArg(v: unknown, what: string): number {
  if (v === undefined || v === null) throw new BuiltinError(`cannot ${what} with nil`);
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new BuiltinError(`cannot ${what} with type ${typeName(v)}`);
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new BuiltinError('index of untyped nil');
  for (const ix of indexes) {
    if (item === undefined || item === null) throw new BuiltinError('index of nil pointer');
    if (typeof item === 'string' || Array.isArray(item)) {
      const x = intArg(ix, 'index slice/array');
      if (typeof item === 'string') {
        const bytes = Buffer.from(item, 'utf8');
        if (x < 0 || x >= bytes.length) throw new BuiltinError(`index out of range: ${x}`);
        item = bytes[x];
      } else {
        if (x < 0 || x >= item.length) throw new BuiltinError(`index out of range: ${x}`);
        item = item[x];
      }
    } else if (isMap(item)) {
      if (typeof ix !== 'string') throw new BuiltinError(`value has type ${typeName(ix)}; should be string`);
      item = Object.prototype.hasOwnProperty.call(item, ix) ? item[ix] : null;
    } else if (item instanceof Map) {
      item = item.has(ix) ? item.get(ix) : null;
    } else {
      throw new BuiltinError(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new BuiltinError('slice of untyped nil');
  if (indexes.length > 3) throw new BuiltinError(`too many slice indexes: ${indexes.length}`);
  let len: number;
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new BuiltinError('cannot 3-index slice a string');
    len = Buffer.byteLength(item, 'utf8');
  } else if (Array.isArray(item)) len = item.length;
  else throw new BuiltinError(`can't slice item of type ${typeName(item)}`);
  const idx = [0, len];
  for (let i = 0; i < indexes.length; i++) {
    const x = intArg(indexes[i], 'slice');
    if (x < 0 || x > len) throw new BuiltinError(`index out of range: ${x}`);
    idx[i] = x;
  }
  if (idx[0] > idx[1]) throw new BuiltinError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1] > idx[2]) throw new BuiltinError(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (typeof item === 'string') return Buffer.from(item, 'utf8').subarray(idx[0], idx[1]).toString('utf8');
  return item.slice(idx[0], idx[1]);
}

/** `html`, `js`, `urlquery` format their arguments like fmt.Sprint unless given one string. */
const evalArgs = (args: readonly unknown[]): string => (args.length === 1 && typeof args[0] === 'string' ? args[0] : goSprint(args));

export function htmlEscape(s: string): string {
  return s.replace(/[<>&'"\0]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' })[c]!);
}

export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '\\': out += '\\\\'; continue;
      case "'": out += "\\'"; continue;
      case '"': out += '\\"'; continue;
      case '<': out += '\\u003C'; continue;
      case '>': out += '\\u003E'; continue;
      case '&': out += '\\u0026'; continue;
      case '=': out += '\\u003D'; continue;
    }
    if (c < 0x20) out += `\\u00${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (c >= 0x80 && !/[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]/u.test(ch)) out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** Go `url.QueryEscape`. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(ch)) out += ch;
    else if (b === 0x20) out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function call(fn: unknown, ...args: unknown[]): unknown {
  if (fn === undefined || fn === null) throw new BuiltinError('call of nil');
  if (typeof fn !== 'function') throw new BuiltinError(`non-function of type ${typeName(fn)}`);
  return fn(...args);
}

export function builtins(parse?: (format: string) => ParsedFormat): Map<string, GoFunc> {
  return new Map<string, GoFunc>([
    ['and', f(() => undefined, ['a'], 'a')],
    ['or', f(() => undefined, ['a'], 'a')],
    ['not', f((v: unknown) => !truth(v), ['a'])],
    ['len', f(length, ['a'])],
    ['index', f(index, ['a'], 'a')],
    ['slice', f(slice, ['a'], 'a')],
    ['print', f((...a: unknown[]) => goSprint(a), [], 'a')],
    ['printf', f((format: string, ...a: unknown[]) => goSprintf(format, a, parse), ['s'], 'a')],
    ['println', f((...a: unknown[]) => goSprintln(a), [], 'a')],
    ['html', f((...a: unknown[]) => htmlEscape(evalArgs(a)), [], 'a')],
    ['js', f((...a: unknown[]) => jsEscape(evalArgs(a)), [], 'a')],
    ['urlquery', f((...a: unknown[]) => queryEscape(evalArgs(a)), [], 'a')],
    ['call', f(call, ['a'], 'a')],
    ['eq', f(eq, ['a'], 'a')],
    ['ne', f(ne, ['a', 'a'])],
    ['lt', f(lt, ['a', 'a'])],
    ['le', f(le, ['a', 'a'])],
    ['gt', f(gt, ['a', 'a'])],
    ['ge', f(ge, ['a', 'a'])],
  ]);
}

export { GoFloat, num };
