/** `[[resource.template]]` / confd `[template]` → TemplateSpec (paths resolved, owner looked up). */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { warnAt, type LoadContext } from './context.ts';
import { child, failAt, type At } from '../schema/document.ts';
import { mentionsPlaceholder, type CommandSpec } from '../exec/command.ts';
import type { TemplateSpec } from './types.ts';

/** The template keys shared by the remco and confd spellings, validated and defaulted. */
export interface TemplateFields {
  readonly src: string;
  readonly dst: string;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly owner?: string | number;
  readonly check_cmd?: CommandSpec;
  readonly reload_cmd?: CommandSpec;
  readonly check_timeout: number;
  readonly reload_timeout: number;
  readonly make_directories: boolean;
  readonly foreign_marker?: string;
  readonly keep_stage_file?: boolean;
  readonly engine?: string;
}

async function resolveOwner(ctx: LoadContext, at: At, owner: string | number): Promise<number> {
  if (typeof owner === 'number') return owner;
  if (/^\d+$/.test(owner)) return Number(owner);
  let uid: number | undefined;
  try {
    uid = await ctx.lookupUser(owner);
  } catch (e) {
    throw failAt(at, `cannot look up user "${owner}": ${(e as Error).message}`, e);
  }
  if (uid === undefined) throw failAt(at, `unknown user "${owner}" (not in /etc/passwd); use a numeric uid or create the user`);
  return uid;
}

async function checkSource(at: At, src: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(src)).isFile();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw failAt(at, code === 'ENOENT' ? `template file not found: ${src}` : `cannot read template file ${src}: ${code ?? String(e)}`, e);
  }
  if (!isFile) throw failAt(at, `template source ${src} is not a regular file`);
}

/**
 * Build one TemplateSpec. `srcBase` is the directory a relative `src` resolves against (the
 * containing file's directory, or `<confdir>/templates`); `dstKey` is how the user spelled dst.
 */
export async function buildTemplate(
  ctx: LoadContext,
  at: At,
  f: TemplateFields,
  srcBase: string,
  dstKey: 'dst' | 'dest',
): Promise<TemplateSpec> {
  const src = resolve(srcBase, f.src);
  await checkSource(child(at, 'src'), src);
  let uid = f.uid;
  if (f.owner !== undefined) {
    const ownerUid = await resolveOwner(ctx, child(at, 'owner'), f.owner);
    if (uid !== undefined && uid !== ownerUid) throw failAt(child(at, 'owner'), `owner (uid ${ownerUid}) disagrees with uid = ${uid}`);
    uid = ownerUid;
  }
  if (f.check_cmd !== undefined && !mentionsPlaceholder(f.check_cmd, 'src')) {
    warnAt(ctx, child(at, 'check_cmd'), 'check_cmd does not reference the staged file ({{ src }} or {{.src}}); ' +
      `it cannot validate what is about to be installed (the ${dstKey} still holds the previous version)`);
  }
  const pos = at.doc.index().nearest(at.path);
  return {
    src,
    dst: resolve(at.doc.dir, f.dst),
    mode: f.mode,
    uid,
    gid: f.gid,
    checkCmd: f.check_cmd,
    reloadCmd: f.reload_cmd,
    checkTimeoutMs: f.check_timeout,
    reloadTimeoutMs: f.reload_timeout,
    makeDirectories: f.make_directories,
    foreignMarker: f.foreign_marker,
    ...(f.keep_stage_file ? { keepStageFile: true } : {}),
    ...(f.engine === 'go' ? { engine: 'go' as const } : {}),
    origin: { file: at.doc.file, line: pos?.line },
  };
}
