/**
 * Runs a shell block marked `<!-- run -->` the way a reader would paste it: bash (-e, pipefail) in
 * a fresh temp dir holding a copy of the repository's examples/, templates/ and config.toml, with
 * `keyplate` on PATH (this checkout's bin/keyplate.js) and a clean environment.
 *
 * The marker's argument is a comma-separated list:
 * - `etcd`: a test etcd (v2 API on) is started; `127.0.0.1:2379` in the block means it.
 * - `until TEXT`: the block starts a daemon; once TEXT appears in its output the whole process
 *   group gets SIGTERM, and the block passes. Without it the block must exit 0.
 * Port 8080 in a block (`HTTP_PORT=8080`, `127.0.0.1:8080`) is replaced by a free port.
 */
import { spawn } from 'node:child_process';
import { chmod, cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CodeBlock } from './markdown.ts';
import { marker, where } from './blocks.ts';

export interface ShellOptions {
  readonly root: string;
  readonly dir: string;
  /** Starts (once) a test etcd and returns its host:port. */
  readonly etcd: () => Promise<string>;
  readonly freePort: () => Promise<number>;
  readonly timeoutMs?: number;
}

export interface RunSpec {
  readonly etcd: boolean;
  readonly until?: string;
}

export function runSpec(b: CodeBlock): RunSpec | undefined {
  const m = marker(b, 'run');
  if (!m || marker(b, 'norun')) return undefined;
  const parts = m.arg.split(',').map((p) => p.trim()).filter(Boolean);
  const until = parts.find((p) => p.startsWith('until '));
  return { etcd: parts.includes('etcd'), until: until?.slice('until '.length).trim() };
}

async function prepare(root: string, dir: string): Promise<string> {
  for (const name of ['examples', 'templates', 'config.toml']) await cp(join(root, name), join(dir, name), { recursive: true });
  const bin = join(dir, '.bin');
  await mkdir(bin);
  await writeFile(join(bin, 'keyplate'), `#!/bin/sh\nexec node ${JSON.stringify(join(root, 'bin/keyplate.js'))} "$@"\n`);
  await chmod(join(bin, 'keyplate'), 0o755);
  return bin;
}

export interface ShellResult {
  readonly problems: readonly string[];
  /** What the block printed on stdout (a following `<!-- output -->` block is compared with it). */
  readonly stdout: string;
}

export async function runShell(b: CodeBlock, opts: ShellOptions): Promise<ShellResult> {
  const spec = runSpec(b);
  if (!spec) return { problems: [], stdout: '' };
  const bin = await prepare(opts.root, opts.dir);
  let script = b.body;
  if (spec.etcd) script = script.replaceAll('127.0.0.1:2379', await opts.etcd());
  if (/\b8080\b/.test(script)) script = script.replace(/\b8080\b/g, String(await opts.freePort()));
  const env = { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: opts.dir, LANG: 'C.UTF-8' };
  const child = spawn('bash', ['-eo', 'pipefail', '-c', script], { cwd: opts.dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stdout = '';
  let matched = false;
  const killGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  const onData = (c: Buffer) => {
    output += String(c);
    if (spec.until && !matched && output.includes(spec.until)) {
      matched = true;
      killGroup('SIGTERM');
    }
  };
  child.stdout.on('data', (c: Buffer) => {
    stdout += String(c);
    onData(c);
  });
  child.stderr.on('data', onData);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup('SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  killGroup('SIGKILL'); // anything the block left behind
  const tail = output.split('\n').slice(-25).join('\n');
  const result = (problem?: string): ShellResult => ({ problems: problem ? [problem] : [], stdout });
  if (timedOut) return result(`${where(b)}: still running after ${timeoutMs} ms${spec.until ? ` (never printed "${spec.until}")` : ''}:\n${tail}`);
  if (spec.until) return result(matched ? undefined : `${where(b)}: exited (${code}) before printing "${spec.until}":\n${tail}`);
  return result(code === 0 ? undefined : `${where(b)}: exited with ${code}:\n${tail}`);
}
