/**
 * confd layout: `<confdir>/conf.d/**\/*.toml`, each with one `[template]` (src relative to
 * `<confdir>/templates`, dest, keys, prefix, owner/uid/gid, mode, check_cmd, reload_cmd). Backends
 * are the main file's `[default_backends.*]`, reading the template's keys under
 * `<default prefix>/<template prefix>` (confd joins its global prefix and the template's).
 * Their templates are confd's: Go text/template, always (`engine = "go"`).
 */
import { join, relative } from 'node:path';
import { confdBackends, finishBackends } from './backend.ts';
import { loadDoc, warnAt, type LoadContext } from './context.ts';
import { isFile, listDir } from './include.ts';
import { confdFileSchema, confdTemplateSchema, resourceSchema } from './schema.ts';
import { readSection, withDefaults } from '../schema/section.ts';
import { child, failAt, root, type At, type SourceDoc } from '../schema/document.ts';
import { buildTemplate } from './template.ts';
import { parseDuration } from '../schema/values.ts';
import type { ResourceSpec } from './types.ts';

async function confdResource(ctx: LoadContext, doc: SourceDoc, name: string, templatesDir: string): Promise<ResourceSpec> {
  const fileAt = root(doc);
  const tAt = child(fileAt, 'template');
  const file = readSection(fileAt, doc.data, confdFileSchema).values;
  const v = withDefaults(tAt, readSection(tAt, file.template, confdTemplateSchema).values, confdTemplateSchema);
  const template = await buildTemplate(ctx, tAt, { ...v, dst: v.dest, engine: 'go' }, templatesDir, 'dest');
  if (ctx.defaults.length === 0) {
    throw failAt(tAt, `a confd-style resource takes its backends from [default_backends.<kind>] in ${ctx.mainFile}, and none is defined there`);
  }
  const backends = finishBackends(confdBackends(ctx.defaults, v.keys, v.prefix), tAt, ctx.env);
  const pos = doc.index().nearest(tAt.path);
  return {
    name,
    templates: [template],
    backends,
    reloadTimeoutMs: parseDuration(resourceSchema.keys.reload_timeout.default, tAt),
    debounce: v.wait,
    origin: { file: doc.file, line: pos?.line },
  };
}

export async function loadConfdDir(ctx: LoadContext, confdir: string, at: At): Promise<ResourceSpec[]> {
  const confD = join(confdir, 'conf.d');
  const templatesDir = join(confdir, 'templates');
  const out: ResourceSpec[] = [];
  for (const rel of await listDir(at, confD, true)) {
    const file = join(confD, rel);
    if (!(await isFile(file))) continue;
    if (!rel.endsWith('.toml')) {
      warnAt(ctx, at, `skipping ${file}: conf.d only loads *.toml files`);
      continue;
    }
    const doc = await loadDoc(ctx.env, file, at);
    out.push(await confdResource(ctx, doc, relative(confD, file).replace(/\.toml$/, ''), templatesDir));
  }
  return out;
}
