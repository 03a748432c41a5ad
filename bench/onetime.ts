/**
 * (b) one-shot render of the big data set from etcd to a file, as shipped: a child
 * `node dist/bin.js run --onetime -c <cfg>` (built first when dist is missing or older than src;
 * tsx only when the build fails). Wall time from spawn to exit; peak RSS from GNU time's
 * "Maximum resident set size", else VmHWM polled from /proc/<pid>/status.
 */
import { spawn } from 'node:child_process';
import { access, constants, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
const GNU_TIME = '/usr/bin/time';

export interface Entry {
  /** argv after `node`. */
  readonly args: readonly string[];
  /** What the table says was measured. */
  readonly label: string;
  readonly note?: string;
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.ts')) continue;
    newest = Math.max(newest, (await stat(join(e.parentPath, e.name))).mtimeMs);
  }
  return newest;
}

function run(cmd: string, args: readonly string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (b) => (output += b));
    p.stderr.on('data', (b) => (output += b));
    p.on('error', (e) => resolve({ code: null, output: `${output}${e.message}` }));
    p.on('close', (code) => resolve({ code, output }));
  });
}

/** dist/bin.js, built with `npm run build` first when it is missing or older than src/. */
export async function shippedEntry(log: (s: string) => void): Promise<Entry> {
  const bin = join(ROOT, 'dist/bin.js');
  const built = await stat(bin).then((s) => s.mtimeMs, () => 0);
  if (built < (await newestMtime(join(ROOT, 'src')))) {
    log(built === 0 ? 'dist/ is missing: npm run build' : 'dist/ is older than src/: npm run build');
    const r = await run('npm', ['run', 'build'], ROOT);
    const ok = await access(bin, constants.R_OK).then(() => true, () => false);
    if (!ok) {
      log(`build failed (exit ${r.code}); measuring the TypeScript sources with tsx instead\n${r.output.slice(-2000)}`);
      return { args: ['--import', 'tsx', 'src/bin.ts'], label: 'tsx src/bin.ts', note: 'npm run build failed: measured with tsx (slower start than the shipped JS)' };
    }
    if (r.code !== 0) {
      log(`npm run build exited ${r.code} but emitted dist/ (type errors elsewhere in the tree?)\n${r.output.slice(-1500)}`);
      return { args: ['dist/bin.js'], label: 'node dist/bin.js', note: `npm run build exited ${r.code} (emitted anyway)` };
    }
  }
  return { args: ['dist/bin.js'], label: 'node dist/bin.js' };
}

export interface OnetimeSample {
  readonly wallMs: number;
  readonly peakRssBytes: number;
  readonly ok: boolean;
  readonly output: string;
}

async function vmHwm(pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const m = /VmHWM:\s+(\d+) kB/.exec(s);
  return m ? Number(m[1]) * 1024 : 0;
}

export async function onetimeRun(entry: Entry, configFile: string, dst: string): Promise<OnetimeSample> {
  await rm(dst, { force: true }); // every run writes the file
  const useTime = await access(GNU_TIME, constants.X_OK).then(() => true, () => false);
  const argv = [...entry.args, 'run', '--onetime', '-c', configFile];
  const [cmd, args] = useTime ? [GNU_TIME, ['-v', process.execPath, ...argv]] : [process.execPath, argv];
  const start = performance.now();
  const p = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  let output = '';
  p.stdout.on('data', (b) => (output += b));
  p.stderr.on('data', (b) => (output += b));
  const closed = new Promise<void>((resolve) => p.once('close', () => resolve()));
  let polled = 0;
  const poll = useTime
    ? undefined
    : setInterval(() => void vmHwm(p.pid!).then((v) => (polled = Math.max(polled, v))), 5);
  const code = await new Promise<number | null>((resolve) => {
    p.on('error', () => resolve(null));
    p.on('exit', (c) => resolve(c));
  });
  const wallMs = performance.now() - start;
  if (poll) clearInterval(poll);
  await closed;
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(output);
  const peakRssBytes = m ? Number(m[1]) * 1024 : polled;
  return { wallMs, peakRssBytes, ok: code === 0 && /1 ok, 0 failed/.test(output), output };
}

/** Context for (b): the same entry point doing nothing but start and exit (`--version`). */
export async function startupRun(entry: Entry): Promise<number> {
  const start = performance.now();
  await run(process.execPath, [...entry.args, '--version'], ROOT);
  return performance.now() - start;
}
