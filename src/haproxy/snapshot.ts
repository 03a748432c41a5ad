/** Read the files a (re)started HAProxy would load: the config files, the map files they
 *  reference, and any extra files whose change must trigger a reload. */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { buildModel, type FileSnapshot, type HaproxyModel } from './model.ts';

export interface LoadedFiles {
  readonly snapshot: FileSnapshot;
  readonly model: HaproxyModel;
}

export interface SnapshotOptions {
  readonly configFiles: readonly string[];
  readonly cwd: string;
  readonly extraFiles?: readonly string[];
}

/** Missing files are left out of the snapshot (a missing map then forces a reload, which `haproxy -c` rejects). */
export async function readSnapshot(opts: SnapshotOptions): Promise<LoadedFiles> {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(opts.cwd, p));
  const files = new Map<string, string>();
  const add = async (p: string): Promise<void> => {
    const text = await readFile(abs(p), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (text !== undefined) files.set(abs(p), text);
  };
  for (const f of opts.configFiles) await add(f);
  const first = buildModel(files, opts);
  for (const r of first.mapRefs.values()) await add(r.file);
  for (const f of opts.extraFiles ?? []) await add(f);
  return { snapshot: files, model: buildModel(files, opts) };
}

/** A snapshot from in-memory contents (tests, dry runs): same shape as readSnapshot. */
export function snapshotOf(files: Readonly<Record<string, string>>, opts: SnapshotOptions): LoadedFiles {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(opts.cwd, p));
  const snapshot = new Map(Object.entries(files).map(([p, t]) => [abs(p), t]));
  return { snapshot, model: buildModel(snapshot, opts) };
}
