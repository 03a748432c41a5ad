/**
 * Live template edits: the directories of every template and of every file it includes, imports
 * or extends are watched (fs.watch; a directory, so an editor's write-and-rename is seen). Once the
 * files have been quiet for `quietMs`, the ones whose text changed name the resources to render
 * again; the resource loop renders them through the normal pipeline. Templates are read fresh on
 * every render, so nothing is cached here but hashes.
 */
import { createHash } from 'node:crypto';
import { watch as fsWatch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.ts';
import { debounce, systemClock, type Clock, type Debouncer } from '../schedule/schedule.ts';
import { readTemplateFiles } from '../template/deps.ts';
import type { AppConfig } from '../config/types.ts';
import type { ResourceLoop } from './resource-loop.ts';
import type { ReconfigureSummary } from './runner.ts';

export interface DirWatcher {
  close(): void;
}
/** fs.watch on a directory: `filename` null means "something in it changed". */
export type WatchDir = (dir: string, onEvent: (filename: string | null) => void, onError: (e: unknown) => void) => DirWatcher;

export const fsWatchDir: WatchDir = (dir, onEvent, onError) => {
  const w = fsWatch(dir, { persistent: false }, (_event, filename) => onEvent(filename === null ? null : String(filename)));
  w.on('error', onError);
  return w;
};

export interface WatchedResource {
  readonly name: string;
  /** Template sources (absolute). */
  readonly templates: readonly string[];
}

export interface TemplateWatchDeps {
  readonly logger: Logger;
  /** Called once per quiet period with the resources whose templates changed and the files. */
  readonly onChange: (resource: string, files: readonly string[]) => void;
  readonly watchDir?: WatchDir;
  readonly read?: (path: string) => Promise<string>;
  readonly clock?: Clock;
  /** How long files must be quiet before they are re-read (an editor's truncate-then-write). Default 150 ms. */
  readonly quietMs?: number;
  /** false (`watch_templates = false`): no fs.watch; only `rescan` (SIGHUP) sees edits. Default true. */
  readonly watch?: boolean;
}

const hash = (text: string | null) => (text === null ? 'missing' : createHash('sha256').update(text).digest('hex'));

/** The files a set of templates is made of, each with the hash of its text. */
export async function templateFingerprint(templates: readonly string[], read?: (path: string) => Promise<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const src of templates) {
    const { files, missing } = await readTemplateFiles(src, read);
    for (const [file, text] of files) out.set(file, hash(text));
    for (const file of missing) out.set(file, hash(null));
  }
  return out;
}

/** True when two fingerprints differ in any file. */
export function fingerprintChanged(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return true;
  for (const [file, h] of a) if (b.get(file) !== h) return true;
  return false;
}

export class TemplateWatcher {
  readonly #deps: TemplateWatchDeps;
  readonly #read: (path: string) => Promise<string>;
  readonly #dirs = new Map<string, DirWatcher>();
  /** Per resource: its templates and the fingerprint of the files they are made of. */
  #resources = new Map<string, { templates: readonly string[]; files: Map<string, string> }>();
  readonly #pending = new Set<string>();
  readonly #quiet: Debouncer;
  #closed = false;
  #checking = Promise.resolve();

  constructor(deps: TemplateWatchDeps) {
    this.#deps = deps;
    this.#read = deps.read ?? ((p) => readFile(p, 'utf8'));
    const quietMs = deps.quietMs ?? 150;
    this.#quiet = debounce({ minMs: quietMs, maxMs: quietMs * 20 }, () => this.#flush(), deps.clock ?? systemClock);
  }

  /** Watch exactly these resources' templates (call again after a config reload). */
  async update(resources: readonly WatchedResource[]): Promise<void> {
    const next = new Map<string, { templates: readonly string[]; files: Map<string, string> }>();
    for (const r of resources) next.set(r.name, { templates: r.templates, files: await templateFingerprint(r.templates, this.#read) });
    this.#resources = next;
    this.#syncDirs();
  }

  /**
   * Re-read every template now (SIGHUP): the resources whose files changed since the last look,
   * remembered as seen. The watch reports the same edits on its own; this covers a disabled or
   * failed watch.
   */
  async rescan(): Promise<string[]> {
    const changed: string[] = [];
    for (const [name, r] of this.#resources) {
      const now = await templateFingerprint(r.templates, this.#read);
      if (fingerprintChanged(now, r.files)) changed.push(name);
      r.files = now;
    }
    this.#syncDirs();
    return changed;
  }

  /** Files currently watched (for tests and logs). */
  files(): string[] {
    return [...new Set([...this.#resources.values()].flatMap((r) => [...r.files.keys()]))].sort();
  }

  /** Resolves once every change seen so far has been checked (tests). */
  async settled(): Promise<void> {
    this.#quiet.flush();
    await this.#checking;
  }

  close(): void {
    this.#closed = true;
    this.#quiet.cancel();
    for (const w of this.#dirs.values()) w.close();
    this.#dirs.clear();
  }

  #syncDirs(): void {
    if (this.#closed || this.#deps.watch === false) return;
    const wanted = new Set(this.files().map((f) => dirname(f)));
    for (const [dir, w] of this.#dirs) {
      if (!wanted.has(dir)) {
        w.close();
        this.#dirs.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.#dirs.has(dir)) continue;
      try {
        const w = (this.#deps.watchDir ?? fsWatchDir)(dir, (name) => this.#seen(dir, name), (e) => this.#lost(dir, e));
        this.#dirs.set(dir, w);
      } catch (e) {
        this.#deps.logger.warn({ event: 'template-watch-failed', dir, err: errorMessage(e) }, 'cannot watch a template directory; edits there apply on SIGHUP');
      }
    }
  }

  #seen(dir: string, name: string | null): void {
    const files = this.files().filter((f) => dirname(f) === dir && (name === null || f === join(dir, name)));
    if (files.length === 0) return;
    for (const f of files) this.#pending.add(f);
    this.#quiet.tick();
  }

  #lost(dir: string, e: unknown): void {
    this.#deps.logger.warn({ event: 'template-watch-failed', dir, err: errorMessage(e) }, 'template directory watch failed; edits there apply on SIGHUP');
    this.#dirs.get(dir)?.close();
    this.#dirs.delete(dir);
  }

  #flush(): void {
    const files = [...this.#pending];
    this.#pending.clear();
    this.#checking = this.#checking.then(() => this.#check(files)).catch((e) => this.#deps.logger.error({ event: 'template-watch-failed', err: errorMessage(e) }, 'template watch failed'));
  }

  async #check(files: readonly string[]): Promise<void> {
    if (this.#closed || files.length === 0) return;
    for (const [name, r] of this.#resources) {
      const touched = files.filter((f) => r.files.has(f));
      if (touched.length === 0) continue;
      const now = await templateFingerprint(r.templates, this.#read);
      const changed = [...new Set([...now.keys(), ...r.files.keys()])].filter((f) => now.get(f) !== r.files.get(f));
      r.files = now; // includes added or removed by the edit are watched from now on
      if (changed.length > 0 && !this.#closed) {
        this.#deps.logger.info({ event: 'template-changed', resource: name, files: changed }, 'template changed: rendering again');
        this.#deps.onChange(name, changed);
      }
    }
    this.#syncDirs();
  }
}

/** What `followTemplates` needs of the runner. */
export interface FollowedRunner {
  readonly workers: readonly Pick<ResourceLoop, 'spec' | 'trigger'>[];
  reconfigure(next: AppConfig): Promise<ReconfigureSummary>;
}

/**
 * Wire a watcher to a daemon's runner: an edit renders its resources again, and `reconfigure`
 * (SIGHUP) swaps the config, then renders again the unchanged resources whose templates changed
 * (what a disabled or failed watch did not see).
 */
export async function followTemplates(
  runner: FollowedRunner,
  opts: { logger: Logger; watch: boolean; watchDir?: WatchDir },
): Promise<{ reconfigure(next: AppConfig): Promise<ReconfigureSummary & { rendered: string[] }>; close(): void }> {
  const watched = () => runner.workers.map((w) => ({ name: w.spec.name, templates: w.spec.templates.map((t) => t.src) }));
  const rerender = (name: string, why: string) => runner.workers.find((w) => w.spec.name === name)?.trigger(why);
  const watcher = new TemplateWatcher({ logger: opts.logger, watch: opts.watch, watchDir: opts.watchDir, onChange: (name, files) => rerender(name, `template edited: ${files.join(', ')}`) });
  await watcher.update(watched());
  return {
    async reconfigure(next) {
      const summary = await runner.reconfigure(next);
      const edited = await watcher.rescan();
      const rendered = summary.unchanged.filter((n) => edited.includes(n));
      for (const name of rendered) rerender(name, 'SIGHUP: templates changed');
      await watcher.update(watched());
      return { ...summary, rendered };
    },
    close: () => watcher.close(),
  };
}
