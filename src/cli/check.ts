/**
 * `keyplate check`: the config parses and validates (every error reported in one pass), every
 * template compiles and names only filters and templates that exist (every problem of every
 * template reported, each at its file:line:col). With --render it is the whole dry run: every
 * resource rendered from its backends, compared with its destination, and its check_cmd run on a
 * temporary copy (never the destination); every failure is reported. Nothing is written or reloaded.
 */
import { DIFFERENCES_EXIT, errorMessage, ExitCode, exitCodeOf, type ExitCodeValue } from '../errors.ts';
import { loadWithLogger, makeEngine, renderOnce, type CliIo, type GlobalFlags } from '../app.ts';
import { formatSummary } from './summary.ts';

export interface CheckFlags extends GlobalFlags {
  readonly render?: boolean;
  /** With --render: exit 1 when a destination would change (and nothing failed), like `git diff --exit-code`. */
  readonly exitCode?: boolean;
}

export async function checkCommand(io: CliIo, flags: CheckFlags, signal?: AbortSignal): Promise<ExitCodeValue> {
  const { config, logger } = await loadWithLogger(flags, io);
  const engine = makeEngine(io, logger);
  let templates = 0;
  let broken = 0;
  const problems: unknown[] = [];
  for (const r of config.resources) {
    for (const t of r.templates) {
      templates++;
      const found = engine.checkFile(t.src, r.name, t.engine);
      if (found.length > 0) broken++;
      problems.push(...found);
    }
  }
  if (problems.length > 0) {
    for (const e of problems) io.stderr.write(`keyplate: ${errorMessage(e)}\n`);
    io.stderr.write(`keyplate: ${broken} of ${templates} template(s) do not compile\n`);
    return exitCodeOf(problems[0]);
  }
  io.stdout.write(`${config.file}: ok (${config.resources.length} resource(s), ${templates} template(s))\n`);
  if (!flags.render) return ExitCode.OK;
  const summary = await renderOnce(config, logger, io, { noop: true, checkCopies: true }, signal);
  io.stdout.write(formatSummary(summary));
  if (summary.exitCode !== ExitCode.OK) return summary.exitCode;
  return flags.exitCode && summary.resources.some((r) => r.wouldChange) ? DIFFERENCES_EXIT : ExitCode.OK;
}
