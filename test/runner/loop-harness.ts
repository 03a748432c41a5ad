/**
 * One resource loop over the in-memory backend and the REAL pipeline (template engine, staging,
 * check_cmd, install) into a temp dir, for the never-stuck tests: quarantine, retries, guards.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Logger } from 'pino';
import { createMemoryBackend, type MemoryBackend } from '../../src/backends/memory.ts';
import type { BackendSpec, ResourceSpec, TemplateSpec } from '../../src/config/types.ts';
import { createCommandRunner } from '../../src/exec/run.ts';
import { processResource, RejectedRenders, type Applier } from '../../src/pipeline/process.ts';
import { Feed } from '../../src/runner/feed.ts';
import { ResourceLoop, type LoopDeps, type ProcessFn } from '../../src/runner/resource-loop.ts';
import { createTemplateEngine } from '../../src/template/index.ts';
import { normalizeKey } from '../../src/tree/keys.ts';
import { captureLogger } from '../helpers/logger.ts';
import { tempDir } from '../helpers/tmp.ts';

export interface LoopHarness {
  readonly dir: string;
  readonly dst: string;
  readonly mem: MemoryBackend;
  readonly loop: ResourceLoop;
  readonly logs: ReturnType<typeof captureLogger>;
  /** Process calls by kind. */
  readonly calls: { real: number; probe: number };
}

export interface HarnessOptions {
  readonly template: string;
  readonly data: Readonly<Record<string, string>>;
  readonly checkCmd?: string;
  readonly resource?: Partial<ResourceSpec>;
  readonly templateOver?: Partial<TemplateSpec>;
  readonly backend?: Partial<BackendSpec>;
  readonly applier?: Applier;
  readonly wrap?: (fn: ProcessFn) => ProcessFn;
  /** Where to install (default `<dir>/app.cfg`); given the fresh temp dir. */
  readonly dst?: (dir: string) => Promise<string>;
  /** More loop dependencies (guard state, allowEmpty, onCycle). */
  readonly deps?: Partial<Omit<LoopDeps, 'process' | 'logger'>>;
}

export async function startLoop(t: TestContext, o: HarnessOptions): Promise<LoopHarness> {
  const dir = await tempDir(t, 'keyplate-loop');
  const src = join(dir, 'app.njk');
  const dst = o.dst ? await o.dst(dir) : join(dir, 'app.cfg');
  await writeFile(src, o.template);
  const logs = captureLogger('debug');
  const logger: Logger = logs.logger;
  const mem = createMemoryBackend('memory', o.data);
  const tmpl: TemplateSpec = {
    src,
    dst,
    checkTimeoutMs: 10_000,
    reloadTimeoutMs: 10_000,
    makeDirectories: false,
    origin: { file: join(dir, 'keyplate.toml'), line: 1 },
    ...(o.checkCmd ? { checkCmd: o.checkCmd } : {}),
    ...o.templateOver,
  };
  const bspec: BackendSpec = {
    kind: 'memory', name: 'memory', prefix: normalizeKey('/'), keys: [normalizeKey('/')], watchKeys: [], watch: true, onetime: false, options: {}, origin: { file: 'test' },
    ...o.backend,
  };
  const spec: ResourceSpec = { name: 'app', templates: [tmpl], backends: [bspec], reloadTimeoutMs: 10_000, debounce: { minMs: 20, maxMs: 200 }, origin: { file: 'test' }, ...o.resource };
  const engine = createTemplateEngine({ env: {} });
  const run = createCommandRunner({ logger, env: { PATH: process.env.PATH } });
  const rejected = new RejectedRenders();
  const calls = { real: 0, probe: 0 };
  let fn: ProcessFn = (s, tree, opts) => {
    if (opts.probe) calls.probe++;
    else calls.real++;
    return processResource(
      { render: (x) => engine.renderFile(x.src, { resource: s.name, tree, allowMultiline: s.allowMultilineValues, signal: opts.signal }), run, logger, applier: o.applier },
      s,
      { ...opts, rejected },
    );
  };
  if (o.wrap) fn = o.wrap(fn);
  const feed = new Feed(bspec, mem, logger);
  const loop = new ResourceLoop(spec, [feed], { process: fn, logger, ...o.deps });
  const ac = new AbortController();
  const done = loop.start({ noop: false, signal: ac.signal });
  t.after(async () => {
    ac.abort();
    await done;
  });
  return { dir, dst, mem, loop, logs, calls };
}
