/**
 * YAML, JSON or TOML files as keys, flattened like confd (maps → path segments, lists → index).
 * Several files merge in order (a later file wins on the same key). Watched with fs events on
 * the files' directories, so an editor's or a deploy's rename-over is seen too.
 */
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { BackendError, errorMessage } from '../errors.ts';
import type { KeyPath } from '../tree/keys.ts';
import { flatten } from './flatten.ts';
import { contentRevision } from './revision.ts';
import { selectPrefixes } from './select.ts';
import { failAt } from '../schema/document.ts';
import type { Backend, BackendDefinition, Revision, Snapshot, WatchEvent } from './contract.ts';

/** Parse a data file by its extension; the YAML parser loads only when a YAML file is read. */
export async function parseDataFile(path: string, text: string): Promise<unknown> {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return JSON.parse(text);
  if (ext === '.toml') return parseToml(text);
  return (await import('yaml')).parse(text);
}

export async function readDataFiles(paths: readonly string[], signal?: AbortSignal): Promise<Map<KeyPath, string>> {
  const all = new Map<KeyPath, string>();
  for (const p of paths) {
    const text = await readFile(p, { encoding: 'utf8', signal });
    for (const [k, v] of flatten((await parseDataFile(p, text)) ?? {})) all.set(k, v);
  }
  return all;
}

export interface FileOptions {
  /** As written (relative to the config file's directory), `filepath` first. */
  readonly files: readonly string[];
}

export const fileBackend: BackendDefinition<FileOptions> = {
  kind: 'file',
  description: 'YAML, JSON or TOML files, flattened like confd; watched with fs events.',
  options: {
    title: '[resource.backend.file]',
    keys: {
      filepath: { type: 'path', description: 'One data file (remco name). Relative to the config file.' },
      files: { type: 'string[]', description: 'Several data files, merged in order (a later file wins).' },
    },
  },
  finish(values, at) {
    const files = [...(values.filepath === undefined ? [] : [values.filepath as string]), ...((values.files as string[] | undefined) ?? [])];
    if (files.length === 0) throw failAt(at, 'the file backend needs `filepath` or `files`');
    return { files };
  },
  create(name, options, ctx): Backend {
    const paths = options.files.map((p) => resolve(ctx.baseDir, p));
    return {
      name,
      kind: 'file',
      async getValues(prefixes, opts) {
        try {
          const values = selectPrefixes(await readDataFiles(paths, opts?.signal), prefixes);
          return { values, revision: contentRevision(values) };
        } catch (e) {
          throw new BackendError(name, `cannot read ${paths.join(', ')}: ${errorMessage(e)}`, { cause: e });
        }
      },
      async watch(prefixes, onEvent, opts) {
        const stop = watchFiles(paths, onEvent, opts?.signal);
        await reportMissed(() => this.getValues(prefixes, opts), opts?.since, onEvent);
        return stop;
      },
      async close() {},
    };
  },
};

/**
 * fs events do not replay what happened before the watchers were armed: once they are, compare the
 * content with the revision the consumer read at (`since`) and report a change when it moved (or
 * when the files cannot be read now; the consumer's re-read then reports the error).
 */
export async function reportMissed(read: () => Promise<Snapshot>, since: Revision | undefined, onEvent: (e: WatchEvent) => void): Promise<void> {
  if (since === undefined) return;
  const now = await read().then((s) => s.revision, () => undefined);
  if (now !== since) onEvent({ type: 'change' });
}

/** Emit a `change` (consumer re-reads) when any of the files is written, replaced or removed. */
export function watchFiles(paths: readonly string[], onEvent: (e: WatchEvent) => void, signal?: AbortSignal) {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const fire = () => {
    clearTimeout(timer);
    timer = setTimeout(() => onEvent({ type: 'change' }), 25);
    timer.unref();
  };
  const dirs = new Map<string, Set<string>>();
  for (const p of paths) {
    const set = dirs.get(dirname(p)) ?? new Set<string>();
    set.add(basename(p));
    dirs.set(dirname(p), set);
  }
  for (const [dir, names] of dirs) {
    const w = fsWatch(dir, { persistent: false }, (_event, file) => {
      if (file === null || names.has(String(file))) fire();
    });
    watchers.push(w);
  }
  const stop = async () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
    watchers.length = 0;
  };
  if (signal?.aborted) void stop();
  else signal?.addEventListener('abort', () => void stop(), { once: true });
  return stop;
}
