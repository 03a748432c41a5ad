/**
 * Settings that come from the environment fail at load, naming the variable: a typed
 * `[resource.vars]` entry (`{ value = "${ENABLE_STATS:-false}", type = "boolean" }`) and any
 * typed key whose value is one `${VAR}` reference (`enabled = "${ENABLE_SSL:-false}"`) report
 * `ENABLE_SSL="maybe": expected true or false`, so an entrypoint exits 3 at start instead of idling.
 */
import { ConfigError } from '../errors.ts';
import { child, failAt, isTable, type At } from '../schema/document.ts';
import type { Env } from './expand.ts';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[-?]([^}]*))?\}/g;

/** The one environment variable a line of config text refers to (undefined for none or several). */
export function variableOnLine(text: string, line: number | undefined): { name: string; fallback?: string } | undefined {
  if (line === undefined) return undefined;
  const src = text.split('\n')[line - 1] ?? '';
  const refs = [...src.matchAll(REFERENCE)];
  const names = new Set(refs.map((m) => m[1]));
  if (names.size !== 1) return undefined;
  const m = refs[0];
  return { name: m[1], fallback: m[0].includes(':-') ? m[2] : undefined };
}

/** `NAME="value"` for messages: only for short scalar settings (never a command, URL or secret). */
function shown(v: { name: string; fallback?: string }, env: Env): string {
  const raw = env[v.name];
  const value = raw === undefined || raw === '' ? (v.fallback ?? '') : raw;
  return `${v.name}=${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
}

/** Type-check messages that are about a short scalar value, safe to echo. */
const SCALAR_DETAIL = /^expected (true or false|a duration|a fraction|a non-negative integer|a port|an integer|a host name|one of)/;

/**
 * Rewrite a scalar type error whose value came from one `${VAR}` so it names the variable and
 * its value; anything else is returned unchanged.
 */
export function nameTheVariable(e: ConfigError, text: string | undefined, env: Env): ConfigError {
  if (text === undefined || !SCALAR_DETAIL.test(e.detail)) return e;
  const v = variableOnLine(text, e.line);
  if (!v) return e;
  const detail = `${shown(v, env)}: ${e.detail.replace(/, got (a|an) \w+$/, '')}`;
  return new ConfigError({ file: e.file, line: e.line, column: e.column, key: e.key }, detail, { cause: e });
}

const TYPES = ['string', 'boolean', 'integer', 'port', 'hostname'] as const;
type VarType = (typeof TYPES)[number];

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Why `value` is not a `type` (undefined when it is). */
function typeProblem(type: VarType, value: string, choices: readonly string[] | undefined): string | undefined {
  const v = value.trim();
  if (choices && !choices.includes(v)) return `expected one of ${choices.join(', ')}`;
  switch (type) {
    case 'boolean':
      return [...TRUE, ...FALSE].includes(v.toLowerCase()) ? undefined : 'expected true or false (or 1/0, yes/no, on/off)';
    case 'integer':
      return /^-?[0-9]+$/.test(v) ? undefined : 'expected an integer';
    case 'port':
      return /^[0-9]{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 65535 ? undefined : 'expected a port (an integer from 1 to 65535)';
    case 'hostname':
      return HOSTNAME.test(v) ? undefined : 'expected a host name such as dev.example.com';
    default:
      return undefined;
  }
}

/**
 * `[resource.vars]`: each value a string, or `{ value = "…", type = "boolean" | "integer" |
 * "port" | "hostname" | "string", choices = […] }` checked here, at load.
 */
export function readVars(at: At, table: Readonly<Record<string, unknown>>, env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(table)) {
    if (typeof v === 'string') {
      out[k] = v;
      continue;
    }
    if (!isTable(v)) throw failAt(child(at, k), `vars values must be strings (quote numbers and booleans) or { value = "…", type = "…" }, got ${typeof v}`);
    for (const key of Object.keys(v)) {
      if (!['value', 'type', 'choices'].includes(key)) throw failAt(child(at, k, key), `unknown key; a typed var has value, type and choices`);
    }
    if (typeof v.value !== 'string') throw failAt(child(at, k, 'value'), 'expected a string');
    const type = (v.type ?? 'string') as VarType;
    if (!TYPES.includes(type)) throw failAt(child(at, k, 'type'), `expected one of ${TYPES.join(', ')}`);
    const choices = v.choices === undefined ? undefined : v.choices;
    if (choices !== undefined && !(Array.isArray(choices) && choices.every((c) => typeof c === 'string'))) {
      throw failAt(child(at, k, 'choices'), 'expected an array of strings');
    }
    const problem = typeProblem(type, v.value, choices as string[] | undefined);
    if (problem) {
      const e = failAt(child(at, k, 'value'), problem);
      const named = nameTheVariable(e, at.doc.text, env);
      throw named === e ? failAt(child(at, k, 'value'), `${JSON.stringify(v.value.slice(0, 40))}: ${problem}`) : named;
    }
    out[k] = v.value.trim();
  }
  return out;
}
