/**
 * `keyplate check`: the config parses and validates, every template compiles. With --render it
 * also renders every resource from its backends and compares it with its destination, never
 * writing anything or running commands.
 */
import { ExitCode, type ExitCodeValue } from '../errors.ts';
import { createRunner } from '../runner/runner.ts';
import { loadWithLogger, makeEngine, makeProcess, type CliIo, type GlobalFlags } from '../app.ts';
import { formatSummary } from './run.ts';

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
  const runner = createRunner(config, { process: makeProcess(engine, logger, io), logger, env: io.env, fetch: io.fetch }, { noop: true });
  try {
    const summary = await runner.runOnce(signal);
    io.stdout.write(formatSummary(summary));
    return summary.exitCode;
  } finally {
    await runner.close();
  }
}
