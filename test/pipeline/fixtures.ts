/** Shared fixtures for the pipeline tests: specs, a stub renderer, directory listing, pid probes. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResourceSpec, TemplateSpec } from '../../src/config/types.ts';
import { createCommandRunner } from '../../src/exec/run.ts';
import type { PipelineDeps } from '../../src/pipeline/process.ts';
import { silentLogger } from '../helpers/logger.ts';

export function template(dir: string, name: string, over: Partial<TemplateSpec> = {}): TemplateSpec {
  return {
    src: join(dir, `${name}.tmpl`),
    dst: join(dir, name),
    checkTimeoutMs: 10_000,
    reloadTimeoutMs: 10_000,
    makeDirectories: false,
    origin: { file: join(dir, 'keyplate.toml') },
    ...over,
  };
}

export function resource(templates: TemplateSpec[], over: Partial<ResourceSpec> = {}): ResourceSpec {
  return {
    name: 'app',
    templates,
    backends: [],
    reloadTimeoutMs: 10_000,
    debounce: { minMs: 0, maxMs: 0 },
    origin: { file: 'keyplate.toml' },
    ...over,
  };
}

/** Deps whose render returns `outputs[dst]` (or throws it when it is an Error). */
export function deps(outputs: Record<string, string | Error>, over: Partial<PipelineDeps> = {}): PipelineDeps & { rendered: string[] } {
  const logger = silentLogger();
  const rendered: string[] = [];
  return {
    rendered,
    async render(t: TemplateSpec) {
      rendered.push(t.dst);
      const out = outputs[t.dst];
      if (out instanceof Error) throw out;
      if (out === undefined) throw new Error(`no stub output for ${t.dst}`);
      return out;
    },
    run: createCommandRunner({ logger, killGraceMs: 500 }),
    logger,
    ...over,
  };
}

/** Every name in `dir`, sorted (to assert no stage file is left behind). */
export async function list(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/** Lines of a log file a command appended to ('' when absent). */
export async function logLines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** True once `pid` no longer exists (or is a zombie waiting to be reaped by init). */
export async function processGone(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Fail loudly (never skip) when a test needs root. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('this test must run as root (it chowns files to uid/gid 1); run the suite as root, e.g. in the CI container');
  }
}
