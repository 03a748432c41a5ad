/** `keyplate run`: the daemon (watch/interval) or, with --onetime, one pass with a summary. */
import { rm, writeFile } from 'node:fs/promises';
import { ExitCode, type ExitCodeValue } from '../errors.ts';
import { createRunner, type RunSummary } from '../runner.ts';
import { loadAppConfig, makeEngine, makeLogger, makeProcess, type CliIo, type GlobalFlags } from './app.ts';

export interface RunFlags extends GlobalFlags {
  readonly onetime?: boolean;
  readonly noop?: boolean;
  readonly interval?: number;
  readonly resource?: string[];
}

export async function runCommand(io: CliIo, flags: RunFlags, signal?: AbortSignal): Promise<ExitCodeValue> {
  const warnings: string[] = [];
  const config = await loadAppConfig(flags, io, (w) => warnings.push(w));
  const logger = makeLogger(io, flags, config);
  for (const w of warnings) logger.warn(w);
  const engine = makeEngine(io, logger);
  const runner = createRunner(
    config,
    { process: makeProcess(engine, logger, io), logger, env: io.env, fetch: io.fetch },
    { noop: flags.noop ?? false, intervalMs: flags.interval !== undefined ? flags.interval * 1000 : undefined, only: flags.resource },
  );
  if (flags.onetime) {
    try {
      const summary = await runner.runOnce(signal);
      io.stderr.write(formatSummary(summary));
      return summary.exitCode;
    } finally {
      await runner.close();
    }
  }
  if (config.pidFile) await writeFile(config.pidFile, `${process.pid}\n`, { mode: 0o644 });
  try {
    await runner.start(signal ?? new AbortController().signal);
  } finally {
    if (config.pidFile) await rm(config.pidFile, { force: true });
  }
  logger.info('stopped');
  return ExitCode.OK;
}

export function formatSummary(summary: RunSummary): string {
  const lines = summary.resources.map((r) => {
    if (!r.ok) return `  ${r.resource}: FAILED (exit ${r.exitCode}) ${r.error ?? ''}`;
    if (r.changed) return `  ${r.resource}: updated`;
    if (r.wouldChange) return `  ${r.resource}: would change (noop)`;
    return `  ${r.resource}: in sync`;
  });
  const failed = summary.resources.filter((r) => !r.ok).length;
  return `keyplate: ${summary.resources.length - failed} ok, ${failed} failed\n${lines.join('\n')}\n`;
}
