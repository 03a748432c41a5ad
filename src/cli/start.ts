/**
 * The CLI as a process runs it: the real environment and streams, SIGTERM/SIGINT abort the
 * command, and the exit code. bin.ts awaits it (sources); the built bundle exports it to its loader.
 * `--version` (and its other spellings, often the first command a user or a probe runs) loads only
 * that command, not the command-line parser of all the others: the same output, a faster start.
 */
import type { CliIo } from '../app.ts';
import type { ExitCodeValue } from '../errors.ts';

const VERSION_ARGS = new Set(['--version', '-V', '-version', 'version']);

/** `cacheDir`: keyplate's cache directory, as the built loader chose it (none from the sources). */
export async function start(opts: { readonly cacheDir?: string } = {}): Promise<ExitCodeValue> {
  const controller = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => controller.abort(new Error(`received ${sig}`)));
  }
  if (process.pid === 1) {
    process.stderr.write('keyplate: running as PID 1 without an init; use `docker run --init` or tini so exited children are reaped\n');
  }
  const argv = process.argv.slice(2);
  const io: CliIo = {
    // created on first use: a run that prints nothing on stdout never builds the stream
    get stdout() {
      return process.stdout;
    },
    stderr: process.stderr,
    env: process.env,
    cacheDir: opts.cacheDir,
    onSignal: (sig, listener) => {
      process.on(sig, listener);
      return () => process.off(sig, listener);
    },
  };
  const main = async () => (await import('./program.ts')).main(argv, io, controller.signal);
  if (argv.length === 1 && VERSION_ARGS.has(argv[0])) {
    // a failure is reported the way every command reports one: through main
    return (await import('./version.ts')).versionCommand(io, controller.signal).catch(main);
  }
  return main();
}
