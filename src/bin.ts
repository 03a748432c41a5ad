#!/usr/bin/env node
/**
 * Entry point: run the CLI with the real process environment and streams. `--version` (and its
 * other spellings, often the first command a user or a health probe runs) loads only that command,
 * not the command-line parser of all the others: the same output, a faster start.
 */
import type { CliIo } from './app.ts';

const VERSION_ARGS = new Set(['--version', '-V', '-version', 'version']);

const controller = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => controller.abort(new Error(`received ${sig}`)));
}
if (process.pid === 1) {
  process.stderr.write('keyplate: running as PID 1 without an init; use `docker run --init` or tini so exited children are reaped\n');
}
const argv = process.argv.slice(2);
const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  onSignal: (sig, listener) => {
    process.on(sig, listener);
    return () => process.off(sig, listener);
  },
};
const main = async () => (await import('./cli/program.ts')).main(argv, io, controller.signal);
if (argv.length === 1 && VERSION_ARGS.has(argv[0])) {
  // a failure is reported the way every command reports one: through main
  process.exitCode = await (await import('./cli/version.ts')).versionCommand(io, controller.signal).catch(main);
} else {
  process.exitCode = await main();
}
