/**
 * A remco resource: one `[[resource]]` element of the main file, or a whole include_dir file
 * (same keys, written without the `[[resource]]` prefix).
 */
import { basename } from 'node:path';
import { overlayBackends, readBackendTable, finishBackends } from './backend.ts';
import type { LoadContext } from './context.ts';
import { resourceSchema, templateSchema } from './schema.ts';
import { readSection, withDefaults } from '../schema/section.ts';
import { child, failAt, type At } from '../schema/document.ts';
import { ConfigErrorSink } from '../errors.ts';
import { buildTemplate } from './template.ts';
import { readVars } from './env-vars.ts';
import type { ResourceSpec, TemplateSpec } from './types.ts';

export async function buildResource(ctx: LoadContext, at: At, raw: unknown, defaultName?: string): Promise<ResourceSpec> {
  // every mistake of the resource is collected: its own keys, each template, its backends, its vars
  const errors = new ConfigErrorSink();
  const v = errors.run(() => withDefaults(at, readSection(at, raw, resourceSchema).values, resourceSchema));
  if (!v) errors.throwIfAny(); // its own keys are wrong (all reported): its templates would only add noise
  const rawTemplates: unknown[] = v!.template;
  if (rawTemplates.length === 0) errors.run(() => { throw failAt(child(at, 'template'), 'a resource needs at least one template'); });
  const templates: TemplateSpec[] = [];
  for (const [i, t] of rawTemplates.entries()) {
    const tAt = child(at, 'template', i);
    const tv = errors.run(() => withDefaults(tAt, readSection(tAt, t, templateSchema).values, templateSchema));
    if (!tv?.enabled) continue;
    const built = await errors.runAsync(() => buildTemplate(ctx, tAt, tv, at.doc.dir, 'dst'));
    if (built) templates.push(built);
  }
  const backends = errors.run(() => finishBackends(overlayBackends(ctx.defaults, readBackendTable(child(at, 'backend'), v!.backend, ctx.registry)), at, ctx.env));
  const vars = v!.vars === undefined ? undefined : errors.run(() => readVars(child(at, 'vars'), v!.vars!, ctx.env));
  const missingKeys = errors.run(() => readMissing(child(at, 'missing_keys'), v!.missing_keys));
  errors.throwIfAny();
  const pos = at.doc.index().nearest(at.path);
  return {
    name: v!.name ?? defaultName ?? basename(templates[0].dst),
    templates,
    backends: backends!,
    reloadCmd: v!.reload_cmd,
    reloadTimeoutMs: v!.reload_timeout,
    debounce: v!.wait,
    guard: { refuseEmpty: v!.guard_empty, maxShrink: v!.max_shrink },
    missingKeys: missingKeys!,
    missingTimeoutMs: v!.missing_timeout,
    allowMultilineValues: v!.allow_multiline_values,
    vars,
    origin: { file: at.doc.file, line: pos?.line },
  };
}

function readMissing(at: At, v: string): 'error' | 'empty' | 'wait' {
  if (v === 'error' || v === 'empty' || v === 'wait') return v;
  if (v === 'default') return 'empty';
  throw failAt(at, `expected "error", "default" (or "empty") or "wait", got ${JSON.stringify(v)}`);
}
