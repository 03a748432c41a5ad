/** Run the CLI in-process with captured output and an injected environment. */
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/program.ts';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(argv: readonly string[], opts: { env?: Record<string, string | undefined>; cwd?: string; signal?: AbortSignal } = {}): Promise<CliResult> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c) => (stdout += String(c)));
  err.on('data', (c) => (stderr += String(c)));
  const code = await main(argv, { stdout: out, stderr: err, env: opts.env ?? { PATH: process.env.PATH }, cwd: opts.cwd }, opts.signal);
  return { code, stdout, stderr };
}
