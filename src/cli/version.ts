/**
 * `keyplate version` (and `--version`): keyplate's version (from its package.json), the Node.js
 * running it, and the HAProxy that `run` would start (HAPROXY_BIN, else /usr/sbin/haproxy, else
 * `haproxy` on PATH) as `haproxy -v` reports it. A missing HAProxy is reported, not an error.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { CliIo } from '../app.ts';
import { ExitCode, type ExitCodeValue } from '../errors.ts';
import { DEFAULT_COMMAND } from '../haproxy/options.ts';

/** Runs a program and resolves with its stdout (rejects when it cannot run or fails). */
export type ProbeFn = (command: string, args: readonly string[], opts: { env: Record<string, string | undefined>; signal?: AbortSignal }) => Promise<string>;

const probe: ProbeFn = (command, args, opts) =>
  new Promise((resolve, reject) => {
    execFile(command, [...args], { env: opts.env, signal: opts.signal, timeout: 5_000, encoding: 'utf8' }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });

/** Set by the build (scripts/build.mjs) from package.json: the bundle does not sit two folders below it. */
declare const __KEYPLATE_VERSION__: string | undefined;

/** keyplate's own version: the package.json next to src/ (the build writes it into the bundle). */
export async function keyplateVersion(): Promise<string> {
  if (typeof __KEYPLATE_VERSION__ === 'string') return __KEYPLATE_VERSION__;
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
  return pkg.version;
}

/** `HAProxy version 2.6.12-1+deb12u4 2026/10/17 - …` → `2.6.12-1+deb12u4`. */
export function parseHaproxyVersion(output: string): string | undefined {
  return /^(?:HA-?Proxy) version (\S+)/im.exec(output)?.[1];
}

async function haproxyLine(io: CliIo, run: ProbeFn, signal?: AbortSignal): Promise<string> {
  const candidates = [...new Set([io.env.HAPROXY_BIN || DEFAULT_COMMAND, 'haproxy'])];
  for (const bin of candidates) {
    try {
      const v = parseHaproxyVersion(await run(bin, ['-v'], { env: io.env, signal }));
      if (v) return `haproxy ${v} (${bin})`;
    } catch {
      // not there or not runnable: try the next candidate
    }
  }
  return `haproxy not found (${candidates.join(', ')})`;
}

export async function versionCommand(io: CliIo, signal?: AbortSignal, run: ProbeFn = probe): Promise<ExitCodeValue> {
  const lines = [`keyplate ${await keyplateVersion()}`, `node ${process.version}`, await haproxyLine(io, run, signal)];
  io.stdout.write(`${lines.join('\n')}\n`);
  return ExitCode.OK;
}
