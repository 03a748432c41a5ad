/**
 * `keyplate check`: the config parses and validates, every template compiles. With --render it
 * also renders every resource from its backends and compares it with its destination, never
 * writing anything or running commands.
 */
import { ExitCode, type ExitCodeValue } from '../errors.ts';
import { loadWithLogger, makeEngine, renderOnce, type CliIo, type GlobalFlags } from '../app.ts';
import { formatSummary } from './summary.ts';

export interface CheckFlags extends GlobalFlags {
  readonly render?: boolean;
}

export async function checkCommand(io: CliIo, flags: CheckFlags, signal?: AbortSignal): Promise<ExitCodeValue> {
  const { config, logger } = await loadWithLogger(flags, io);
  const engine = makeEngine(io, logger);
  let templates = 0;
  for (const r of config.resources) {
    for (const t of r.templates) {
      engine.compileFile(t.src, r.name);
      templates++;
    }
  }
  io.stdout.write(`${config.file}: ok (${config.resources.length} resource(s), ${templates} template(s))\n`);
  if (!flags.render) return ExitCode.OK;
  const summary = await renderOnce(config, logger, io, { noop: true }, signal);
  io.stdout.write(formatSummary(summary));
  return summary.exitCode;
}
