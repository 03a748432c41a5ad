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
import { buildTemplate } from './template.ts';
import { readVars } from './env-vars.ts';
import type { ResourceSpec, TemplateSpec } from './types.ts';

export async function buildResource(ctx: LoadContext, at: At, raw: unknown, defaultName?: string): Promise<ResourceSpec> {
  const v = withDefaults(at, readSection(at, raw, resourceSchema).values, resourceSchema);
  if (v.template.length === 0) throw failAt(child(at, 'template'), 'a resource needs at least one template');
  const templates: TemplateSpec[] = [];
  for (const [i, t] of v.template.entries()) {
    const tAt = child(at, 'template', i);
    const tv = withDefaults(tAt, readSection(tAt, t, templateSchema).values, templateSchema);
    if (!tv.enabled) continue;
    templates.push(await buildTemplate(ctx, tAt, tv, at.doc.dir, 'dst'));
  }
  const own = readBackendTable(child(at, 'backend'), v.backend, ctx.registry);
  const backends = finishBackends(overlayBackends(ctx.defaults, own), at, ctx.env);
  const pos = at.doc.index().nearest(at.path);
  return {
    name: v.name ?? defaultName ?? basename(templates[0].dst),
    templates,
    backends,
    reloadCmd: v.reload_cmd,
    reloadTimeoutMs: v.reload_timeout,
    debounce: v.wait,
    guard: { refuseEmpty: v.guard_empty, maxShrink: v.max_shrink },
    missingKeys: readMissing(child(at, 'missing_keys'), v.missing_keys),
    missingTimeoutMs: v.missing_timeout,
    allowMultilineValues: v.allow_multiline_values,
    vars: v.vars === undefined ? undefined : readVars(child(at, 'vars'), v.vars, ctx.env),
    origin: { file: at.doc.file, line: pos?.line },
  };
}

function readMissing(at: At, v: string): 'error' | 'empty' | 'wait' {
  if (v === 'error' || v === 'empty' || v === 'wait') return v;
  if (v === 'default') return 'empty';
  throw failAt(at, `expected "error", "default" (or "empty") or "wait", got ${JSON.stringify(v)}`);
}
