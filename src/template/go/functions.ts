/**
 * confd's function map for the Go engine. Every function is keyplate's one implementation (the
 * Nunjucks side calls the same code): this file only declares Go's parameter types, converts
 * values (JSON numbers are float64, `datetime` is a time.Time) and words errors the way Go does.
 */
import type { KeyTree } from '../../tree/key-tree.ts';
import * as c from '../collections.ts';
import { treeFunctions, dnsFunctions } from '../context.ts';
import type { DnsCache } from '../dns.ts';
import type { TemplateFn } from '../functions.ts';
import { GoTime } from '../gotime.ts';
import type { ParsedFormat } from '../printf.ts';
import * as s from '../strings.ts';
import { builtins, f, type GoFunc } from './builtins.ts';
import { jsonToGo } from './values.ts';

/** Names confd defines (template_funcs.go plus memkv's store functions), for the parser's check. */
export const CONFD_FUNCTIONS: readonly string[] = [
  'base', 'split', 'json', 'jsonArray', 'dir', 'map', 'getenv', 'join', 'datetime', 'toUpper', 'toLower',
  'contains', 'replace', 'trimSuffix', 'lookupIP', 'lookupIPV4', 'lookupIPV6', 'lookupSRV', 'fileExists',
  'base64Encode', 'base64Decode', 'parseBool', 'reverse', 'sortByLength', 'sortKVByLength',
  'add', 'sub', 'div', 'mod', 'mul', 'seq', 'atoi',
  'exists', 'ls', 'lsdir', 'get', 'gets', 'getv', 'getvs',
];

export interface GoRenderDeps {
  readonly statics: Readonly<Record<string, TemplateFn>>;
  readonly tree: KeyTree;
  readonly missingKeys?: 'error' | 'empty';
  readonly dns: DnsCache;
  readonly now: Date;
  readonly parseFormat?: (format: string) => ParsedFormat;
}

/** strconv's error wording: `strconv.Atoi: parsing "x": invalid syntax`. */
function strconv(fn: string, call: (v: string) => unknown): (v: string) => unknown {
  return (v: string) => {
    try {
      return call(v);
    } catch (e) {
      const why = /out of range/.test((e as Error).message) ? 'value out of range' : 'invalid syntax';
      throw new Error(`strconv.${fn}: parsing ${JSON.stringify(v)}: ${why}`, { cause: e });
    }
  };
}

function intOp(op: (a: number, b: number) => number): (a: number, b: number) => number {
  return (a, b) => {
    try {
      return op(a, b);
    } catch (e) {
      throw new Error('runtime error: integer divide by zero', { cause: e });
    }
  };
}

function createMap(...values: unknown[]): Record<string, unknown> {
  if (values.length % 2 !== 0) throw new Error('invalid map call');
  for (let i = 0; i < values.length; i += 2) if (typeof values[i] !== 'string') throw new Error('map keys must be strings');
  return { ...s.makeMap(...values) };
}

function stringList(fn: string, v: unknown): string[] {
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  if (Array.isArray(v) && v.length === 0) return [];
  throw new Error(`${fn}: wrong type for value; expected []string`);
}

/** The functions one render sees: Go's built-ins and confd's map bound to this render's data. */
export function goFunctions(d: GoRenderDeps): Map<string, GoFunc> {
  const t = treeFunctions(d.tree, d.missingKeys);
  const dns = dnsFunctions(d.dns);
  const time = new GoTime(d.now);
  const m = builtins(d.parseFormat);
  const add = (name: string, g: GoFunc): void => void m.set(name, g);
  add('base', f(s.base, ['s']));
  add('split', f(s.split, ['s', 's']));
  add('json', f((v: string) => jsonToGo(s.json(v)), ['s']));
  add('jsonArray', f((v: string) => jsonToGo(s.jsonArray(v)), ['s']));
  add('dir', f(s.dir, ['s']));
  add('map', f(createMap, [], 'a'));
  add('getenv', f(d.statics.getenv, ['s'], 's'));
  add('join', f((l: unknown, sep: string) => s.join(stringList('join', l), sep), ['a', 's']));
  add('datetime', f(() => time, []));
  add('toUpper', f(s.toUpper, ['s']));
  add('toLower', f(s.toLower, ['s']));
  add('contains', f(s.contains, ['s', 's']));
  add('replace', f(s.replace, ['s', 's', 's', 'i']));
  add('trimSuffix', f(s.trimSuffix, ['s', 's']));
  add('lookupIP', f(dns.lookupIP, ['s']));
  add('lookupIPV4', f(dns.lookupIPV4, ['s']));
  add('lookupIPV6', f(dns.lookupIPV6, ['s']));
  add('lookupSRV', f(dns.lookupSRV, ['s', 's', 's']));
  add('fileExists', f(d.statics.fileExists, ['s']));
  add('base64Encode', f(s.base64Encode, ['s']));
  add('base64Decode', f(s.base64Decode, ['s']));
  add('parseBool', f(strconv('ParseBool', s.parseBool), ['s']));
  add('reverse', f(c.reverse, ['a']));
  add('sortByLength', f((l: unknown) => c.sortByLength(stringList('sortByLength', l)), ['a']));
  add('sortKVByLength', f(c.sortKVByLength, ['a']));
  add('add', f(c.add, ['i', 'i']));
  add('sub', f(c.sub, ['i', 'i']));
  add('mul', f(c.mul, ['i', 'i']));
  add('div', f(intOp(c.div), ['i', 'i']));
  add('mod', f(intOp(c.mod), ['i', 'i']));
  add('seq', f(c.seq, ['i', 'i']));
  add('atoi', f(strconv('Atoi', s.atoi), ['s']));
  add('exists', f(t.exists, ['s']));
  add('ls', f(t.ls, ['s']));
  add('lsdir', f(t.lsdir, ['s']));
  add('get', f(t.get, ['s']));
  add('gets', f(t.gets, ['s']));
  add('getv', f(t.getv, ['s'], 's'));
  add('getvs', f(t.getvs, ['s']));
  return m;
}

/** Every name a Go template may call (parse-time check: `function "x" not defined`). */
export const GO_FUNCTION_NAMES: ReadonlySet<string> = new Set([...builtins().keys(), ...CONFD_FUNCTIONS]);
