/**
 * `keyplate render`: print what each resource would install (or a diff against its destination),
 * touching nothing. With a TEMPLATE argument it renders ad hoc from `--backend` URIs.
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Env } from '../backends/contract.ts';
import type { BackendSpec, ResourceSpec } from '../config/types.ts';
import { UsageError, type ExitCodeValue } from '../errors.ts';
import { unifiedDiff } from '../pipeline/files.ts';
import { createRunner } from '../runner/runner.ts';
import { loadAppConfig, makeEngine, makeLogger, makeProcess, type CliIo, type GlobalFlags } from '../app.ts';
import { parseBackendUri } from './uri.ts';

export interface RenderFlags extends GlobalFlags {
  readonly template?: string;
  readonly resource?: string[];
  readonly diff?: boolean;
  readonly backend?: string[];
  readonly prefix?: string;
  readonly keys?: string;
}

export function adHocBackends(flags: { backend?: string[]; prefix?: string; keys?: string }, env: Env): BackendSpec[] {
  if (!flags.backend?.length) throw new UsageError('give at least one --backend URI (e.g. --backend file:data.yaml)');
  const keys = flags.keys ? flags.keys.split(',').filter(Boolean) : undefined;
  return flags.backend.map((uri, index) => parseBackendUri(uri, { prefix: flags.prefix, keys, index: flags.backend!.length > 1 ? index : 0 }, env));
}

function adHocResource(template: string, flags: RenderFlags, cwd: string, env: Env): ResourceSpec {
  const src = resolve(cwd, template);
  return {
    name: 'adhoc',
    templates: [{ src, dst: join(tmpdir(), `keyplate-adhoc-${process.pid}`, 'never-written'), checkTimeoutMs: 30_000, reloadTimeoutMs: 30_000, makeDirectories: false, origin: { file: '<command line>' } }],
    backends: adHocBackends(flags, env),
    reloadTimeoutMs: 30_000,
    debounce: { minMs: 0, maxMs: 0 },
    origin: { file: '<command line>' },
  };
}

export async function renderCommand(io: CliIo, flags: RenderFlags, signal?: AbortSignal): Promise<ExitCodeValue> {
  const cwd = io.cwd ?? process.cwd();
  const warnings: string[] = [];
  const config = flags.template
    ? { file: '<command line>', logLevel: 'warn', logFormat: 'text' as const, resources: [adHocResource(flags.template, flags, cwd, io.env)] }
    : await loadAppConfig(flags, io, (w) => warnings.push(w));
  const logger = makeLogger(io, { ...flags, logLevel: flags.logLevel ?? 'warn' }, config);
  for (const w of warnings) logger.warn(w);
  const runner = createRunner(config, { process: makeProcess(makeEngine(io, logger), logger, io), logger, env: io.env, fetch: io.fetch }, { noop: true, only: flags.resource });
  try {
    const summary = await runner.runOnce(signal);
    for (const r of summary.resources) {
      if (!r.ok) {
        io.stderr.write(`keyplate: ${r.error}\n`);
        continue;
      }
      for (const t of r.result!.templates) {
        if (flags.diff && !flags.template) {
          const d = await unifiedDiff(t.template.dst, t.contents);
          io.stdout.write(d);
          if (!d) io.stderr.write(`# ${t.template.dst}: no changes\n`);
        } else {
          if (!flags.template) io.stderr.write(`# resource ${r.resource} -> ${t.template.dst}\n`);
          io.stdout.write(t.contents);
        }
      }
    }
    return summary.exitCode;
  } finally {
    await runner.close();
  }
}
