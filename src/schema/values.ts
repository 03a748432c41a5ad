/**
 * Type checks and conversions for every `ValueKind` of the schema (durations, modes, commands,
 * key lists…). Each one reports a ConfigError at the value's location; messages describe the
 * expected shape and never echo values (they may be secrets).
 */
import { normalizeKey, type KeyPath } from '../tree/keys.ts';
import type { KeySpec, ValueKind } from './types.ts';
import { child, failAt, isTable, typeName, type At, type TomlTable } from './document.ts';
import type { CommandSpec } from '../exec/command.ts';
import type { LogFormat } from '../log.ts';
import type { DebounceSpec } from '../schedule/schedule.ts';

/** What each kind becomes after validation. */
export interface ValueTypes {
  string: string;
  'string[]': string[];
  boolean: boolean;
  /** Milliseconds. */
  duration: number;
  mode: number;
  command: CommandSpec;
  path: string;
  id: number;
  user: string | number;
  wait: DebounceSpec;
  keys: KeyPath[];
  key: KeyPath;
  'log-level': string;
  'log-format': LogFormat;
  table: TomlTable;
  tables: TomlTable[];
  fraction: number;
  integer: number;
  number: number;
  choice: string;
}

type Coercer<K extends ValueKind> = (v: unknown, at: At) => ValueTypes[K];

function expectString(v: unknown, at: At, what = 'a string'): string {
  if (typeof v !== 'string') throw failAt(at, `expected ${what}, got ${typeName(v)}`);
  return v;
}

function nonEmpty(v: unknown, at: At, what: string): string {
  const s = expectString(v, at, what);
  if (s.trim() === '') throw failAt(at, `expected ${what}, got an empty string`);
  return s;
}

function stringArray(v: unknown, at: At, example: string): string[] {
  if (!Array.isArray(v)) throw failAt(at, `expected an array of strings (e.g. ${example}), got ${typeName(v)}`);
  return v.map((item, i) => expectString(item, child(at, i)));
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;

/** A number of seconds, or a string like "500ms", "2s", "1m", "1h30m". Returns milliseconds. */
export function parseDuration(v: unknown, at: At): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw failAt(at, 'expected a duration: a non-negative number of seconds');
    return Math.round(v * 1000);
  }
  const s = expectString(v, at, 'a duration (seconds as a number, or a string like "500ms", "2s", "1m")').trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000); // "10" from ${VAR}: seconds
  if (!DURATION.test(s)) {
    throw failAt(at, `invalid duration "${s}": write a number of seconds or a string like "500ms", "2s", "1m", "1h30m"`);
  }
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]];
  return Math.round(ms);
}

const MODE_PITFALL =
  'file modes are octal: write "0644" or "0o644" (or the TOML literal 0o644). confd and remco parse "644" as ' +
  'decimal 644 = 0o1204 (sticky bit, owner write-only, others read), which is almost never what was meant';

/** "0644" / "0o644" / TOML 0o644 → 0o644. "644" and decimal integers are rejected (see MODE_PITFALL). */
export function parseMode(v: unknown, at: At): number {
  if (typeof v === 'number') {
    const raw = at.doc.index().rawValue(at.path) ?? '';
    if (!/^0o[0-7_]+$/.test(raw)) throw failAt(at, `mode = ${raw || v} is decimal; ${MODE_PITFALL}`);
    if (v > 0o7777) throw failAt(at, 'mode must be at most 0o7777');
    return v;
  }
  const s = expectString(v, at, 'an octal mode string like "0644"').trim();
  const m = /^0o?([0-7]{1,4})$/.exec(s);
  if (!m) {
    const hint = /^[0-7]{3,4}$/.test(s) ? `"${s}" would be read as decimal; ${MODE_PITFALL}` : `invalid mode "${s}": ${MODE_PITFALL}`;
    throw failAt(at, hint);
  }
  return parseInt(m[1], 8);
}

function parseCommand(v: unknown, at: At): CommandSpec {
  if (typeof v === 'string') return nonEmpty(v, at, 'a command (a string, or an array of strings)');
  if (!Array.isArray(v)) throw failAt(at, `expected a command (a string run by /bin/sh -c, or an argv array of strings), got ${typeName(v)}`);
  if (v.length === 0) throw failAt(at, 'expected a command, got an empty array');
  const argv = v.map((item, i) => expectString(item, child(at, i)));
  if (argv[0].trim() === '') throw failAt(child(at, 0), 'the program name (first element) is empty');
  return argv;
}

function parseId(v: unknown, at: At): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw failAt(at, `expected a non-negative integer id, got ${typeName(v)}`);
  }
  return v;
}

const LOG_LEVELS: Record<string, string> = {
  trace: 'trace', debug: 'debug', info: 'info', warn: 'warn', warning: 'warn',
  error: 'error', fatal: 'fatal', panic: 'fatal', silent: 'silent',
};

function parseWait(v: unknown, at: At): DebounceSpec {
  if (!isTable(v)) {
    const minMs = parseDuration(v, at);
    return { minMs, maxMs: 4 * minMs };
  }
  for (const k of Object.keys(v)) {
    if (k !== 'min' && k !== 'max') throw failAt(child(at, k), `unknown key "${k}" in wait (expected "min" and/or "max")`);
  }
  const minMs = v.min === undefined ? 0 : parseDuration(v.min, child(at, 'min'));
  const maxMs = v.max === undefined ? 4 * minMs : parseDuration(v.max, child(at, 'max'));
  if (maxMs < minMs) throw failAt(child(at, 'max'), 'wait.max must not be shorter than wait.min');
  return { minMs, maxMs };
}

const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const FALSE_WORDS = ['false', '0', 'no', 'off'];

/** TOML true/false, or (so it can come from `${VAR}`) the strings true/false, 1/0, yes/no, on/off. */
function parseBoolean(v: unknown, at: At): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const w = v.trim().toLowerCase();
    if (TRUE_WORDS.includes(w)) return true;
    if (FALSE_WORDS.includes(w)) return false;
  }
  throw failAt(at, `expected true or false (or the strings true/false, 1/0, yes/no, on/off), got ${typeName(v)}`);
}

export const coercers: { readonly [K in ValueKind]: Coercer<K> } = {
  string: (v, at) => expectString(v, at),
  'string[]': (v, at) => stringArray(v, at, '["a", "b"]'),
  boolean: parseBoolean,
  duration: parseDuration,
  mode: parseMode,
  command: parseCommand,
  path: (v, at) => nonEmpty(v, at, 'a path'),
  id: parseId,
  user: (v, at) => (typeof v === 'number' ? parseId(v, at) : nonEmpty(v, at, 'a user name or numeric id')),
  wait: parseWait,
  keys: (v, at) => stringArray(v, at, 'keys = ["/services"]').map((k) => normalizeKey(k)),
  key: (v, at) => normalizeKey(expectString(v, at, 'a key path like "/app"')),
  'log-level': (v, at) => {
    const s = expectString(v, at).toLowerCase();
    const level = LOG_LEVELS[s];
    if (!level) throw failAt(at, `unknown log level "${s}" (expected one of ${Object.keys(LOG_LEVELS).join(', ')})`);
    return level;
  },
  'log-format': (v, at) => {
    if (v !== 'text' && v !== 'json') throw failAt(at, 'expected "text" or "json"');
    return v;
  },
  table: (v, at) => {
    if (!isTable(v)) throw failAt(at, `expected a table, got ${typeName(v)}`);
    return v;
  },
  fraction: parseFraction,
  integer: (v, at) => {
    const n = parseNumber(v, at, 'an integer');
    if (!Number.isInteger(n)) throw failAt(at, `expected an integer, got ${typeName(v)}`);
    return n;
  },
  number: (v, at) => parseNumber(v, at, 'a number'),
  choice: (v, at) => {
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    return expectString(v, at, 'a string or a number').trim();
  },
  tables: (v, at) => {
    const name = at.path[at.path.length - 1];
    if (isTable(v)) throw failAt(at, `expected an array of tables: write [[…${String(name)}]] with double brackets`);
    if (!Array.isArray(v) || !v.every(isTable)) throw failAt(at, `expected an array of tables ([[…${String(name)}]]), got ${typeName(v)}`);
    return v as TomlTable[];
  },
};

/** A TOML number, or a numeric string (what `${VAR}` expansion gives). */
function parseNumber(v: unknown, at: At, what: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  throw failAt(at, `expected ${what}, got ${typeName(v)}`);
}

/** 0.25, "0.25" or "25%" → 0.25; must lie in [0, 1]. */
function parseFraction(v: unknown, at: At): number {
  let n = typeof v === 'number' ? v : NaN;
  if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(v);
    if (m) n = Number(m[1]) / (m[2] ? 100 : 1);
  }
  if (!Number.isFinite(n) || n < 0 || n > 1) throw failAt(at, 'expected a fraction from 0 to 1 (e.g. 0.5) or a percentage string (e.g. "50%")');
  return n;
}

export function coerce<K extends ValueKind>(kind: K, v: unknown, at: At): ValueTypes[K] {
  return (coercers[kind] as Coercer<K>)(v, at);
}

/** Coerce one key's value and check what its spec bounds: `min`/`max` (seconds for a duration) and `choices`. */
export function coerceKey(spec: KeySpec, v: unknown, at: At): unknown {
  const value = coerce(spec.type, v, at);
  if (spec.choices && !spec.choices.includes(value as string)) {
    throw failAt(at, `expected one of ${spec.choices.map((c) => JSON.stringify(c)).join(', ')}${spec.secret ? '' : `, got ${JSON.stringify(value)}`}`);
  }
  if (spec.min !== undefined || spec.max !== undefined) {
    const n = spec.type === 'duration' ? (value as number) / 1000 : (value as number);
    const unit = spec.type === 'duration' ? ' seconds' : '';
    if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
      const range = spec.max === undefined ? `at least ${spec.min}${unit}` : spec.min === undefined ? `at most ${spec.max}${unit}` : `from ${spec.min} to ${spec.max}${unit}`;
      throw failAt(at, `must be ${range}${spec.secret ? '' : `, got ${n}`}`);
    }
  }
  return value;
}
