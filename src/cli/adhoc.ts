/** Resources made on the command line from `--backend` URIs (`render TEMPLATE`, `keys --backend`). */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Env } from '../backends/contract.ts';
import type { AppConfig, BackendSpec, ResourceSpec } from '../config/types.ts';
import { UsageError } from '../errors.ts';
import { parseBackendUri } from './uri.ts';

export interface AdHocFlags {
  readonly backend?: string[];
  readonly prefix?: string;
  readonly keys?: string;
  /** `render TEMPLATE --engine go`: the template is a Go (confd) template. */
  readonly engine?: string;
}

function adHocBackends(flags: AdHocFlags, env: Env): BackendSpec[] {
  if (!flags.backend?.length) throw new UsageError('give at least one --backend URI (e.g. --backend file:data.yaml)');
  const keys = flags.keys ? flags.keys.split(',').filter(Boolean) : undefined;
  return flags.backend.map((uri, index) => parseBackendUri(uri, { prefix: flags.prefix, keys, index: flags.backend!.length > 1 ? index : 0 }, env));
}

/** A one-resource config; with `template`, that template renders to a path that is never written. */
export function adHocConfig(name: string, flags: AdHocFlags, env: Env, template?: { readonly path: string; readonly cwd: string }): AppConfig {
  const origin = { file: '<command line>' };
  const templates = template
    ? [{ src: resolve(template.cwd, template.path), dst: join(tmpdir(), `keyplate-adhoc-${process.pid}`, 'never-written'), checkTimeoutMs: 30_000, reloadTimeoutMs: 30_000, makeDirectories: false, ...(flags.engine === 'go' ? { engine: 'go' as const } : {}), origin }]
    : [];
  const resource: ResourceSpec = { name, templates, backends: adHocBackends(flags, env), reloadTimeoutMs: 30_000, debounce: { minMs: 0, maxMs: 0 }, origin };
  return { file: '<command line>', logLevel: 'warn', logFormat: 'text', resources: [resource] };
}
