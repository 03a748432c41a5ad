/**
 * What a keyplate killed mid-pass (SIGKILL, a power cut) leaves beside a destination: stage files,
 * and a `check_cmd` still running in its own process group, named by its run record
 * (exec/run-record.ts). Both are cleaned before the next pass stages anything, and at start.
 */
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { TemplateSpec } from '../config/types.ts';
import { reapRecord } from '../exec/run-record.ts';
import { isStageName, listDirectory, removeStaleStages } from './files.ts';

/** The run record of the check_cmd running on `dst`'s stage file (a stage-file name: stale ones go with them). */
export function checkRecordPath(dst: string): string {
  return join(dirname(dst), `.${basename(dst)}.keyplate-check.run`);
}

/** End a check_cmd an earlier keyplate left running on `t`'s stage file, then remove stale stage files. */
export async function cleanLeftovers(t: Pick<TemplateSpec, 'dst' | 'keepStageFile'>, logger: Logger, signal?: AbortSignal): Promise<void> {
  // one listing of the directory answers the common case (nothing left) without opening anything
  const names = listDirectory(dirname(t.dst));
  const record = checkRecordPath(t.dst);
  const base = basename(t.dst);
  if (!names.includes(basename(record)) && (t.keepStageFile || !names.some((n) => isStageName(n, base)))) return;
  const reaped = await reapRecord(record, { signal });
  if (reaped.kind === 'owner-alive') {
    // another keyplate is checking this very destination right now: its stage file is not stale
    logger.warn({ event: 'leftovers-kept', dst: t.dst, owner: reaped.owner }, `another running keyplate (pid ${reaped.owner}) is checking this destination: its files are left alone`);
    return;
  }
  if (reaped.kind === 'reaped' && reaped.killed.length > 0) {
    logger.warn(
      { event: 'orphan-check-ended', dst: t.dst, pids: reaped.killed, pgid: reaped.pgid },
      'ended a check_cmd left running by an earlier keyplate that did not finish',
    );
  }
  const stale = t.keepStageFile ? [] : await removeStaleStages(t.dst, names); // keep_stage_file: kept on purpose
  if (stale.length > 0) logger.warn({ dst: t.dst, removed: stale }, 'removed stage files left by an earlier keyplate that did not finish');
}

/** cleanLeftovers for every template of these resources (at start, before the first pass). */
export async function cleanAllLeftovers(resources: readonly { readonly name: string; readonly templates: readonly Pick<TemplateSpec, 'dst' | 'keepStageFile'>[] }[], logger: Logger, signal?: AbortSignal): Promise<void> {
  await Promise.all(
    resources.flatMap((r) => r.templates.map((t) => cleanLeftovers(t, logger.child({ resource: r.name }), signal).catch(() => undefined))),
  );
}
