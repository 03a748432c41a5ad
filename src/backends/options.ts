/**
 * A backend block's own options, read with the backend's schema: unknown keys (with a
 * suggestion), types and ranges of what is written, then defaults and the backend's cross-option
 * checks. The config loader, `check`, `--backend` URIs, tests and the generated reference all go
 * through here, so an option `check` accepts never fails `run`.
 */
import { child, failAt, syntheticDoc, root, type At, type TomlTable } from '../schema/document.ts';
import { readSection, withDefaults, type Written } from '../schema/section.ts';
import type { SectionSchema } from '../schema/types.ts';
import { didYouMean } from '../schema/suggest.ts';
import type { BackendDefinition, Env } from './contract.ts';

/** Type- and range-check the options written in one block (`at` is the block); defaults are not applied yet. */
export function readOptions(def: BackendDefinition, raw: TomlTable, at: At, commonKeys: readonly string[] = []): TomlTable {
  const names = Object.keys(def.options.keys);
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(def.options.keys, key)) {
      const listed = `${commonKeys.length > 0 ? `common keys: ${commonKeys.join(', ')}; ` : ''}${def.kind} options: ${names.join(', ') || '(none)'}`;
      throw failAt(child(at, key), `unknown key "${key}" for backend "${def.kind}" (${listed})${didYouMean(key, [...commonKeys, ...names])}`);
    }
  }
  return readSection(at, raw, def.options, { checkRequired: false }).values as TomlTable;
}

/** Defaults, then the backend's own checks: what `create()` takes. */
export function finishOptions<O>(def: BackendDefinition<O>, written: TomlTable, at: At, env: Env): O {
  return def.finish(withDefaults(at, written as Written<SectionSchema>, def.options) as Readonly<Record<string, unknown>>, at, env);
}

/** Read a whole options table that did not come from a config file (URIs, tests): `label` names it in errors. */
export function parseOptions<O>(def: BackendDefinition<O>, raw: TomlTable, label: string, env: Env, dir?: string): O {
  const at = root(syntheticDoc(label, raw, dir));
  return finishOptions(def, readOptions(def, raw, at), at, env);
}
