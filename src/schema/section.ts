/**
 * Validate one TOML table against a `SectionSchema`: unknown keys (with a suggestion), two
 * spellings of one key, required keys, per-key types; then fill in the schema's defaults.
 */
import { ConfigErrorSink, type ConfigError } from '../errors.ts';
import type { KeySpec, SectionSchema } from './types.ts';
import { child, failAt, typeName, type At, type TomlTable, isTable } from './document.ts';
import { didYouMean } from './suggest.ts';
import { coerceKey, type ValueTypes } from './values.ts';

type KeysOf<S extends SectionSchema> = S['keys'];
type Out<K> = K extends KeySpec ? ValueTypes[K['type']] : never;
type Known<K> = K extends { default: unknown } ? true : K extends { required: true } ? true : false;

/** What was written, type-checked; keys left out are absent. */
export type Written<S extends SectionSchema> = { -readonly [K in keyof KeysOf<S>]?: Out<KeysOf<S>[K]> };

/** After defaults: keys with a default or `required` are always present. */
export type Values<S extends SectionSchema> = {
  readonly [K in keyof KeysOf<S> as Known<KeysOf<S>[K]> extends true ? K : never]: Out<KeysOf<S>[K]>;
} & {
  readonly [K in keyof KeysOf<S> as Known<KeysOf<S>[K]> extends true ? never : K]?: Out<KeysOf<S>[K]>;
};

export interface ReadResult<S extends SectionSchema> {
  readonly values: Written<S>;
  /** Keys not in the schema, when the caller accepts extra keys (backend options). */
  readonly rest: TomlTable;
  /** Where each written key came from, by canonical name (for later errors). */
  readonly where: ReadonlyMap<string, At>;
}

export interface ReadOptions {
  /** Accept keys that are not in the schema (returned in `rest`) instead of failing. */
  readonly allowRest?: boolean;
  /** Check `required` keys now (default true). */
  readonly checkRequired?: boolean;
}

function canonicalNames(schema: SectionSchema): Map<string, string> {
  const names = new Map<string, string>();
  for (const [name, spec] of Object.entries(schema.keys)) {
    names.set(name, name);
    for (const alias of spec.aliases ?? []) names.set(alias, name);
  }
  return names;
}

export function synonymsOf(schema: SectionSchema): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, spec] of Object.entries(schema.keys)) for (const s of spec.seeAlso ?? []) out.set(s, name);
  return out;
}

export function unknownKey(at: At, key: string, schema: SectionSchema, extra: readonly string[] = []): ConfigError {
  const reason = schema.unsupported?.[key];
  if (reason !== undefined) return failAt(at, `"${key}" is not supported in ${schema.title}: ${reason}`);
  const candidates = [...Object.keys(schema.keys), ...extra];
  return failAt(at, `unknown key "${key}" in ${schema.title}${didYouMean(key, candidates, synonymsOf(schema))}`);
}

export function readSection<S extends SectionSchema>(at: At, raw: unknown, schema: S, opts: ReadOptions = {}): ReadResult<S> {
  if (!isTable(raw)) throw failAt(at, `expected a table (${schema.title}), got ${typeName(raw)}`);
  const names = canonicalNames(schema);
  const values: Record<string, unknown> = {};
  const rest: TomlTable = {};
  const where = new Map<string, At>();
  const errors = new ConfigErrorSink(); // every bad key of the table, not just the first
  for (const [key, v] of Object.entries(raw)) {
    const here = child(at, key);
    const name = names.get(key);
    if (name === undefined) {
      if (!opts.allowRest) errors.run(() => { throw unknownKey(here, key, schema); });
      else rest[key] = v;
      continue;
    }
    const prev = where.get(name);
    if (prev) {
      errors.run(() => { throw failAt(here, `"${key}" repeats "${String(prev.path[prev.path.length - 1])}": write only one of them`); });
      continue;
    }
    where.set(name, here);
    errors.run(() => (values[name] = coerceKey(schema.keys[name], v, here)));
  }
  if (opts.checkRequired !== false && errors.size === 0) checkRequired(at, values, schema);
  errors.throwIfAny();
  return { values: values as Written<S>, rest, where };
}

export function checkRequired(at: At, values: Readonly<Record<string, unknown>>, schema: SectionSchema): void {
  for (const [name, spec] of Object.entries(schema.keys)) {
    if (spec.required && values[name] === undefined) throw failAt(at, `missing required key "${name}" in ${schema.title}`);
  }
}

/** Fill in defaults (validated like user values). Call after `required` was checked. */
export function withDefaults<S extends SectionSchema>(at: At, written: Written<S>, schema: S): Values<S> {
  const out: Record<string, unknown> = { ...written };
  for (const [name, spec] of Object.entries(schema.keys) as [string, KeySpec][]) {
    if (out[name] === undefined && spec.default !== undefined) {
      out[name] = coerceKey(spec, spec.default, child(at, name));
    }
  }
  return out as Values<S>;
}
