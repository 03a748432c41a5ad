#!/usr/bin/env node
/** Entry point: run the CLI with the real process environment and streams. */
import { main } from './cli/program.ts';

const controller = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => controller.abort(new Error(`received ${sig}`)));
}
if (process.pid === 1) {
  process.stderr.write('keyplate: running as PID 1 without an init; use `docker run --init` or tini so exited children are reaped\n');
}
process.exitCode = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onSignal: (sig, listener) => {
      process.on(sig, listener);
      return () => process.off(sig, listener);
    },
  }, controller.signal);
