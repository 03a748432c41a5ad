/**
 * The function and filter tables registered on each engine's Nunjucks Environment: confd's and
 * remco's functions (as globals, most also as filters: `x | base`), remco's filters and the
 * pongo2 built-ins Nunjucks lacks. Per-render functions (tree, DNS, clock) live in the render
 * context (context.ts); their filter forms look the function up in that context.
 */
import { existsSync } from 'node:fs';
import * as c from './collections.ts';
import { CONTEXT_FUNCTIONS } from './context.ts';
import * as d from './data.ts';
import * as p from './pongo2-filters.ts';
import { createSprintf } from './printf.ts';
import * as s from './strings.ts';

export type TemplateFn = (...args: any[]) => unknown;

export interface FunctionDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fileExists?: (path: string) => boolean;
}

/** confd `getenv name [default]` over the injected map; the default wins when unset or empty. */
export function makeGetenv(env: Readonly<Record<string, string | undefined>>): TemplateFn {
  return (name: unknown, fallback?: unknown) => {
    const key = s.str(name);
    const v = Object.prototype.hasOwnProperty.call(env, key) ? env[key] : undefined;
    if (v === undefined || v === '') return fallback === undefined || fallback === null ? '' : s.str(fallback);
    return v;
  };
}

/** Functions that do not depend on the render: env globals. */
export function staticFunctions(deps: FunctionDeps): Record<string, TemplateFn> {
  const exists = deps.fileExists ?? existsSync;
  return {
    getenv: makeGetenv(deps.env),
    fileExists: (path: unknown) => exists(s.str(path)),
    base: s.base, dir: s.dir, split: s.split, join: s.join,
    json: s.json, jsonArray: s.jsonArray, map: s.makeMap,
    toUpper: s.toUpper, toLower: s.toLower, contains: s.contains, replace: s.replace,
    trimSuffix: s.trimSuffix, trimPrefix: s.trimPrefix,
    base64Encode: s.base64Encode, base64Decode: s.base64Decode,
    parseBool: s.parseBool, atoi: s.atoi, printf: createSprintf(),
    reverse: c.reverse, sortByLength: c.sortByLength, sortKVByLength: c.sortKVByLength,
    add: c.add, sub: c.sub, mul: c.mul, div: c.div, mod: c.mod, seq: c.seq,
    createMap: c.createMap, createSet: c.createSet,
  };
}

/** Function names that also work as filters (`value | name(args…)`). */
const FUNCTIONS_AS_FILTERS = [
  'getenv', 'fileExists', 'base', 'dir', 'split', 'json', 'jsonArray', 'toUpper', 'toLower', 'contains',
  'trimSuffix', 'trimPrefix', 'base64Encode', 'base64Decode', 'parseBool', 'atoi', 'sortByLength', 'sortKVByLength',
] as const;

/** remco's filters and the pongo2 built-ins Nunjucks lacks. Overrides: `float`, `center`. */
export function staticFilters(fns: Record<string, TemplateFn>): Record<string, TemplateFn> {
  const out: Record<string, TemplateFn> = {};
  for (const name of FUNCTIONS_AS_FILTERS) out[name] = fns[name];
  Object.assign(out, {
    parseInt: d.parseIntFilter, parseFloat: d.parseFloatFilter,
    parseYAML: d.parseYAML, parseJSON: d.parseYAML, parseYAMLArray: d.parseYAMLArray,
    toJSON: d.toJSON, toPrettyJSON: d.toPrettyJSON, toYAML: d.toYAML,
    base64: s.base64Encode, base64decode: s.base64Decode,
    index: c.index, mapValue: c.mapValue,
    integer: p.integer, float: p.float, stringformat: p.stringformat, cut: p.cut, yesno: p.yesno,
    ljust: p.ljust, rjust: p.rjust, center: p.center, make_list: p.make_list, capfirst: p.capfirst,
    add: p.addFilter, default_if_none: p.default_if_none, divisibleby: p.divisibleby,
    floatformat: p.floatformat, length_is: p.length_is, pluralize: p.pluralize,
    truncatechars: p.truncatechars, addslashes: p.addslashes, date: p.date,
    _srt: c.sortedForLoop, _rev: c.reversedForLoop,
  });
  return out;
}

/** Filter forms of per-render functions: `key | getv("x")`, `host | lookupIP`. */
export function contextFilters(): Record<string, TemplateFn> {
  const out: Record<string, TemplateFn> = {};
  const skip = new Set(['getallkvs', 'datetime', 'unixTS', 'dateRFC3339']);
  for (const name of CONTEXT_FUNCTIONS) {
    if (skip.has(name)) continue;
    out[name] = function (this: { lookup(n: string): unknown }, ...args: unknown[]) {
      const fn = this.lookup(name);
      if (typeof fn !== 'function') throw new s.TemplateFunctionError(name, 'is not available in this context');
      return (fn as TemplateFn)(...args);
    };
  }
  return out;
}
