/**
 * include_dir: every `*.toml` directly in the directory is one resource (remco layout). Anything
 * else is skipped with a warning, where remco skipped it silently (remco #73).
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { loadDoc, warnAt, type LoadContext } from './context.ts';
import { buildResource } from './resource.ts';
import { failAt, root, type At } from '../schema/document.ts';
import type { ResourceSpec } from './types.ts';

/** Sorted entries of a directory; a missing/unreadable directory is a ConfigError at `at`. */
export async function listDir(at: At, dir: string, recursive = false): Promise<string[]> {
  try {
    const names = await readdir(dir, { recursive });
    return names.sort();
  } catch (e) {
    throw failAt(at, `cannot read directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, e);
  }
}

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export async function loadIncludeDir(ctx: LoadContext, dir: string, at: At): Promise<ResourceSpec[]> {
  const out: ResourceSpec[] = [];
  for (const name of await listDir(at, dir)) {
    const file = join(dir, name);
    if (file === ctx.mainFile) continue;
    if (!name.endsWith('.toml') || !(await isFile(file))) {
      warnAt(ctx, at, `skipping ${file}: include_dir only loads *.toml files`);
      continue;
    }
    const doc = await loadDoc(ctx.env, file, at);
    out.push(await buildResource(ctx, root(doc), doc.data, basename(name, '.toml')));
  }
  return out;
}
