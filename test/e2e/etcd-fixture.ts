/**
 * In-process keyplate runners over a real etcd for the e2e tests: a config file written to a temp
 * dir (a template that dumps every key, so the destination shows the whole tree), loaded by the
 * real config loader and run by createRunner with the real pipeline (makeProcess). Also a fresh
 * one-shot render of the same config to a second destination, for "converged" comparisons.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { TestContext } from 'node:test';
import type { Logger } from 'pino';
import { makeEngine, makeProcess, type CliIo } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createBackend } from '../../src/backends/registry.ts';
import type { Backend } from '../../src/backends/contract.ts';
import { createRunner, type Runner } from '../../src/runner/runner.ts';
import type { ProcessFn } from '../../src/runner/resource-loop.ts';
import { silentLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';

/** Every key and value under the resource's keys, one `key=value` line each, sorted by key. */
export const DUMP_TEMPLATE = '{% for p in getallkvs() %}{{ p.Key }}={{ p.Value }}\n{% endfor %}';

export interface RunnerFixtureOptions {
  readonly dir: string;
  readonly etcdUrl: string;
  readonly version: 2 | 3;
  readonly keys: readonly string[];
  readonly logger?: Logger;
  /** Wraps the real pipeline (to count renders, widen race windows, …). */
  readonly wrap?: (inner: ProcessFn) => ProcessFn;
  /** Extra lines for the etcd backend table (e.g. `interval = "200ms"`). */
  readonly backendExtra?: string;
  /** Wraps the backends the live runner creates (the one-shot render always uses the real ones). */
  readonly wrapBackend?: (real: Backend) => Backend;
}

export interface RunnerFixture {
  readonly runner: Runner;
  readonly dst: string;
  /** Resolves when the daemon loop drained after `stop()`. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
  /** The destination's contents ('' while absent). */
  read(): Promise<string>;
  /** A one-shot render of the same config (fresh backend, fresh read) to another file. */
  freshRender(): Promise<string>;
}

function configToml(o: RunnerFixtureOptions, dst: string): string {
  return `log_level = "warn"
[[resource]]
name = "dump"
[[resource.template]]
src = "dump.tmpl"
dst = "${dst}"
[resource.backend.etcd]
nodes = ["${o.etcdUrl}"]
version = ${o.version}
keys = [${o.keys.map((k) => JSON.stringify(k)).join(', ')}]
watch = true
${o.backendExtra ?? ''}
`;
}

const nullIo = (): CliIo => ({ stdout: new PassThrough(), stderr: new PassThrough(), env: {} });

async function buildRunner(o: RunnerFixtureOptions, name: string, logger: Logger): Promise<{ runner: Runner; dst: string }> {
  const dst = join(o.dir, `${name}.out`);
  const file = join(o.dir, `${name}.toml`);
  await writeFile(join(o.dir, 'dump.tmpl'), DUMP_TEMPLATE);
  await writeFile(file, configToml(o, dst));
  const config = await loadConfig({ file, env: {} });
  const io = nullIo();
  const base = makeProcess(makeEngine(io, logger), logger, io);
  const wrapBackend = o.wrapBackend;
  const make: typeof createBackend = wrapBackend ? (...args) => wrapBackend(createBackend(...args)) : createBackend;
  const runner = createRunner(config, { process: o.wrap ? o.wrap(base) : base, logger, env: {}, createBackend: make }, { noop: false });
  return { runner, dst };
}

/** Start a watching runner; stopped (and its backends closed) when the test ends. */
export async function startRunner(t: Pick<TestContext, 'after'>, o: RunnerFixtureOptions): Promise<RunnerFixture> {
  const logger = o.logger ?? silentLogger();
  const { runner, dst } = await buildRunner(o, 'live', logger);
  const ac = new AbortController();
  const done = runner.start(ac.signal);
  const stop = async () => {
    ac.abort();
    await done;
  };
  t.after(stop);
  return {
    runner,
    dst,
    done,
    stop,
    read: () => readFile(dst, 'utf8').catch(() => ''),
    async freshRender() {
      const once = await buildRunner({ ...o, wrap: undefined, wrapBackend: undefined }, 'fresh', silentLogger());
      try {
        const summary = await once.runner.runOnce();
        if (summary.exitCode !== 0) throw new Error(`one-shot render failed: ${JSON.stringify(summary.resources)}`);
        return await readFile(once.dst, 'utf8');
      } finally {
        await once.runner.close();
      }
    },
  };
}

/** The dump the template renders for `model` (absolute keys). */
export function dumpOf(model: ReadonlyMap<string, string>): string {
  return [...model].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}\n`).join('');
}

/** Wait until the live destination equals `expected`; the error shows a short diff. */
export async function waitForContents(f: RunnerFixture, expected: string, what: string, timeoutMs = 20_000): Promise<void> {
  try {
    await waitFor(async () => (await f.read()) === expected, { timeoutMs, intervalMs: 25, message: what });
  } catch (e) {
    const got = new Set((await f.read()).split('\n'));
    const want = new Set(expected.split('\n'));
    const missing = [...want].filter((l) => !got.has(l)).slice(0, 5);
    const extra = [...got].filter((l) => !want.has(l)).slice(0, 5);
    throw new Error(`${(e as Error).message}; missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)}`);
  }
}
