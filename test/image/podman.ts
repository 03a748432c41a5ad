/**
 * The real image under podman (no Docker engine here): `ensureImage()` runs
 * scripts/image/prepare.mjs (podman & co., containers.conf, the stand-in base, `podman build` of
 * the Dockerfile; skipped when `npm run test:image` already did it), `podman()` runs podman with
 * CONTAINERS_CONF, and `runDocsBlock()` runs a `docker …` block of docs/docker.md verbatim under
 * sh, with `docker` a shell function for podman that adds only the test's plumbing after `run`
 * (--network=host, free loopback ports, the emulator's or etcd's address) and a unique name.
 */
import assert from 'node:assert/strict';
import { execFile, type ExecFileOptions } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

type After = Pick<TestContext, 'after'>;

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const IMAGE = process.env.KEYPLATE_IMAGE || 'keyplate';
const CACHE_DIR = process.env.KEYPLATE_IMAGE_CACHE || '/var/cache/keyplate-image';

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function podmanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...(process.env as Record<string, string>), CONTAINERS_CONF: join(CACHE_DIR, 'containers.conf'), ...extra };
}

function exec(cmd: string, args: readonly string[], opts: ExecFileOptions = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 32 << 20, timeout: 300_000, encoding: 'utf8', ...opts }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === 1 ? err.message : '') });
    });
  });
}

export function podman(args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<Result> {
  return exec('podman', args, { env: podmanEnv(), timeout: opts.timeoutMs ?? 120_000 });
}

/** podman, failing with its output unless it exits 0. */
export async function podmanOk(args: readonly string[]): Promise<string> {
  const r = await podman(args);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} → exit ${r.code}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Build the image from the Dockerfile (cached), unless `npm run test:image` already did. */
export async function ensureImage(): Promise<void> {
  if (process.env.KEYPLATE_IMAGE_READY === '1') return;
  const r = await exec(process.execPath, [join(REPO, 'scripts/image/prepare.mjs')], { env: podmanEnv(), timeout: 1_200_000 });
  if (r.code !== 0) throw new Error(`scripts/image/prepare.mjs failed (exit ${r.code}):\n${r.stderr}`);
}

/** A container name of this test run, removed (`podman rm -f --ignore`) when the test ends. */
export function containerName(t: After, label: string): string {
  const name = `keyplate-test-${label}-${process.pid}`;
  t.after(() => podman(['rm', '-f', '--ignore', '-t', '0', name]));
  return name;
}

/** The `nth` (from 0) ```sh block after the heading `title` in docs/docker.md. */
export async function docsBlock(title: string, nth = 0): Promise<string> {
  const text = await readFile(join(REPO, 'docs/docker.md'), 'utf8');
  const at = text.indexOf(`\n${title}\n`);
  if (at < 0) throw new Error(`docs/docker.md: no heading "${title}"`);
  const m = [...text.slice(at).matchAll(/```sh\n([\s\S]*?)```/g)][nth];
  if (!m) throw new Error(`docs/docker.md: no sh block #${nth} after "${title}"`);
  return m[1];
}

/** The lines of a docs block that make up the (backslash-continued) command starting with `prefix`. */
export function docsCommand(block: string, prefix: string): string {
  const lines = block.split('\n');
  const start = lines.findIndex((l) => l.startsWith(prefix));
  if (start < 0) throw new Error(`no command starting with "${prefix}" in:\n${block}`);
  let end = start;
  while (lines[end].endsWith('\\')) end++;
  return lines.slice(start, end + 1).join('\n');
}

export interface DocsRun {
  /** Options added right after `docker run` (each one word). */
  readonly plumbing: readonly string[];
  /** The name the docs give (`--name lb`) is replaced by this one. */
  readonly rename?: { readonly from: string; readonly to: string };
  /** Extra environment of the shell (for `-e NAME` without a value). */
  readonly env?: Record<string, string>;
  readonly cwd?: string;
}

/** Run a docs command under sh, `docker` → podman with the plumbing. */
export function runDocsCommand(command: string, o: DocsRun): Promise<Result> {
  let cmd = command;
  if (o.rename) cmd = cmd.replaceAll(`--name ${o.rename.from} `, `--name ${o.rename.to} `);
  const shim = [
    'docker() {',
    '  if [ "$1" = run ]; then shift; podman run $KEYPLATE_TEST_PLUMBING "$@"; else podman "$@"; fi',
    '}',
  ].join('\n');
  for (const p of o.plumbing) if (/\s/.test(p)) throw new Error(`plumbing must be single words: ${p}`);
  return exec('sh', ['-c', `set -e\n${shim}\n${cmd}`], {
    cwd: o.cwd ?? REPO,
    env: podmanEnv({ ...o.env, KEYPLATE_TEST_PLUMBING: o.plumbing.join(' ') }),
  });
}

/** `podman healthcheck run`: 0 healthy, else unhealthy (its output says why). */
export function healthcheck(name: string): Promise<Result> {
  return podman(['healthcheck', 'run', name], { timeoutMs: 30_000 });
}

export interface Proc {
  readonly user: string;
  readonly hpid: number;
  readonly args: string;
}

/** The container's processes as the host sees them (no ps needed in the image). */
export async function top(name: string): Promise<Proc[]> {
  const out = await podmanOk(['top', name, 'user', 'hpid', 'args']);
  return out.trim().split('\n').slice(1).map((l) => {
    const [user, hpid, ...args] = l.trim().split(/\s+/);
    return { user, hpid: Number(hpid), args: args.join(' ') };
  });
}

/** Is a host PID still a live (non-zombie) process? */
export async function hostAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** The container's logs, stdout and stderr together. */
export async function containerLogs(name: string): Promise<string> {
  const l = await podman(['logs', name]);
  return `${l.stdout}${l.stderr}`;
}

/** `podman stop -t 10` (Docker's default): SIGTERM to tini → keyplate → HAProxy must end the container with exit 0 and leave no process behind. */
export async function assertStopsCleanly(name: string): Promise<void> {
  const before = await top(name);
  const stop = await podman(['stop', '-t', '10', name], { timeoutMs: 60_000 });
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(await inspect(name, '{{.State.ExitCode}}'), '0', await containerLogs(name));
  const left = [];
  for (const p of before) if (await hostAlive(p.hpid)) left.push(p);
  assert.deepEqual(left, [], 'no process of the container is left');
}

export async function inspect(name: string, format: string): Promise<string> {
  return (await podmanOk(['inspect', '--format', format, name])).trim();
}
