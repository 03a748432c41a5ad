/**
 * `[resource.backend.<kind>]` / `[default_backends.<kind>]` blocks: common keys come from
 * `backendSchema`, everything else is checked against that kind's `BackendDefinition.options`
 * (looked up in the registry at run time). Defaults are deep-copied into every resource and
 * overlaid key by key by what the resource writes itself (an explicit `watch = false` does override).
 */
import { joinKey, type KeyPath } from '../tree/keys.ts';
import type { BackendDefinition, Env } from '../backends/contract.ts';
import { finishOptions, readOptions } from '../backends/options.ts';
import { backendSchema } from './schema.ts';
import { readSection, type Written } from '../schema/section.ts';
import { child, failAt, isTable, typeName, type At, type TomlTable } from '../schema/document.ts';
import { didYouMean } from '../schema/suggest.ts';
import type { BackendSpec } from './types.ts';

/** The backend kinds the loader validates against (default: src/backends/registry.ts). */
export interface BackendRegistry {
  find(kind: string): BackendDefinition | undefined;
  kinds(): readonly string[];
}

export type BackendCommon = Written<typeof backendSchema>;

/** One validated block as written (no defaults applied yet). */
export interface BackendBlock {
  readonly def: BackendDefinition;
  readonly common: BackendCommon;
  readonly options: TomlTable;
  readonly at: At;
}

const DEFAULT_INTERVAL_MS = 60_000;

function readBlock(at: At, kind: string, raw: unknown, registry: BackendRegistry): BackendBlock {
  const def = registry.find(kind);
  if (!def) {
    const known = registry.kinds();
    throw failAt(at, `unknown backend kind "${kind}" (known: ${known.join(', ')})${didYouMean(kind, known)}`);
  }
  const { values, rest } = readSection(at, raw, backendSchema, { allowRest: true, checkRequired: false });
  const options = readOptions(def, rest, at, Object.keys(backendSchema.keys));
  return { def, common: values, options, at };
}

/** Read a `{ <kind> = { ... } }` table (`[resource.backend]`, `[default_backends]`). */
export function readBackendTable(at: At, raw: unknown, registry: BackendRegistry): BackendBlock[] {
  if (raw === undefined) return [];
  if (!isTable(raw)) throw failAt(at, `expected a table of backends ([${at.path.join('.')}.<kind>]), got ${typeName(raw)}`);
  return Object.entries(raw).map(([kind, block]) => readBlock(child(at, kind), kind, block, registry));
}

function deepMerge(base: TomlTable, over: TomlTable): TomlTable {
  const out: TomlTable = structuredClone(base);
  for (const [k, v] of Object.entries(over)) {
    out[k] = isTable(out[k]) && isTable(v) ? deepMerge(out[k], v) : structuredClone(v);
  }
  return out;
}

/** Overlay the resource's own blocks on fresh deep copies of the defaults (order: defaults, then the rest). */
export function overlayBackends(defaults: readonly BackendBlock[], own: readonly BackendBlock[]): BackendBlock[] {
  const out: BackendBlock[] = [];
  for (const d of defaults) {
    const mine = own.find((b) => b.def === d.def);
    out.push({
      def: d.def,
      common: deepMerge(d.common, mine?.common ?? {}) as BackendCommon,
      options: deepMerge(d.options, mine?.options ?? {}),
      at: mine?.at ?? d.at,
    });
  }
  for (const b of own) {
    if (!defaults.some((d) => d.def === b.def)) out.push({ ...b, common: structuredClone(b.common), options: structuredClone(b.options) });
  }
  return out;
}

/** confd-style: every default backend, reading the template's keys under default prefix + template prefix. */
export function confdBackends(defaults: readonly BackendBlock[], keys: readonly KeyPath[], prefix: KeyPath): BackendBlock[] {
  return defaults.map((d) => ({
    def: d.def,
    common: { ...structuredClone(d.common), keys: [...keys], watchKeys: undefined, prefix: joinKey(d.common.prefix ?? '/', prefix) },
    options: structuredClone(d.options),
    at: d.at,
  }));
}

function finishOne(b: BackendBlock, resourceAt: At, env: Env): BackendSpec {
  const c = b.common;
  const kind = b.def.kind;
  const at = b.at.doc === resourceAt.doc ? b.at : resourceAt;
  if (c.keys === undefined || c.keys.length === 0) {
    throw failAt(at, `backend "${kind}" has no keys: set keys = ["/prefix", ...] in its block or in [default_backends.${kind}]`);
  }
  const watch = c.watch ?? false;
  const onetime = c.onetime ?? false;
  if (watch && onetime) throw failAt(at, `backend "${kind}": watch and onetime cannot both be true`);
  const interval = c.interval !== undefined && c.interval > 0 ? c.interval : undefined;
  const pos = b.at.doc.index().nearest(b.at.path);
  return {
    kind,
    name: c.name ?? kind,
    prefix: c.prefix ?? ('/' as KeyPath),
    keys: c.keys,
    watchKeys: c.watchKeys ?? c.keys,
    watch,
    intervalMs: interval ?? (watch || onetime ? undefined : DEFAULT_INTERVAL_MS),
    onetime,
    options: finishOptions(b.def, b.options, b.at, env),
    origin: { file: b.at.doc.file, line: pos?.line },
  };
}

/** Validate the merged blocks of one resource and turn them into BackendSpecs. */
export function finishBackends(blocks: readonly BackendBlock[], resourceAt: At, env: Env): BackendSpec[] {
  if (blocks.length === 0) {
    throw failAt(resourceAt, 'the resource has no backend: add a [resource.backend.<kind>] block (or [default_backends.<kind>] in the main config)');
  }
  const specs = blocks.map((b) => finishOne(b, resourceAt, env));
  const seen = new Set<string>();
  for (const [i, s] of specs.entries()) {
    if (seen.has(s.name)) throw failAt(child(blocks[i].at, 'name'), `backend name "${s.name}" is used twice in this resource`);
    seen.add(s.name);
  }
  return specs;
}
