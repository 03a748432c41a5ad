/**
 * (g) start-up, whole process, as shipped (dist/, built first when stale), each run paired with
 * its yardstick in the same loop (A B A B ...) so drift of the machine's speed cancels out:
 *   - `run --onetime` at 10 services (etcd v3, etcd v2, file) against `node -e 0`; peak RSS
 *   - watch mode: spawn → first render on disk at 10 services (etcd v3)
 *   - `npx keyplate --version` in this checkout against `npx --version`; beside it the process npx
 *     starts (`node bin/keyplate.js --version`) against `node -e 0`, and npx running a bin that
 *     only exits (npx's own floor for any local bin)
 * Peak RSS from GNU time's "Maximum resident set size".
 */
import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { access, constants, mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, type Entry } from './onetime.ts';
import { seedKeys } from './lib/seed-data.ts';
import { fmtMb, fmtMs, median, verdict, type Row } from './lib/stats.ts';
import { writeSeedConfig } from './watch-convergence.ts';

const GNU_TIME = '/usr/bin/time';

interface Run {
  readonly wallMs: number;
  readonly rssBytes: number;
  readonly code: number | null;
  readonly output: string;
}

async function timed(cmd: string, args: readonly string[], cwd = ROOT, env: Record<string, string> = {}): Promise<Run> {
  const gnu = await access(GNU_TIME, constants.X_OK).then(() => true, () => false);
  const [c, a] = gnu ? [GNU_TIME, ['-v', cmd, ...args]] : [cmd, args];
  const start = performance.now();
  const p = spawn(c, a, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env } });
  let output = '';
  p.stdout.on('data', (b) => (output += b));
  p.stderr.on('data', (b) => (output += b));
  const code = await new Promise<number | null>((resolve) => {
    p.on('error', () => resolve(null));
    p.on('close', (x) => resolve(x));
  });
  const wallMs = performance.now() - start;
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(output);
  return { wallMs, rssBytes: m ? Number(m[1]) * 1024 : Number.NaN, code, output };
}

/** `n` pairs A, B; the ratio is taken pair by pair. */
async function paired(a: () => Promise<Run>, b: () => Promise<Run>, n: number): Promise<{ a: Run[]; b: Run[]; ratios: number[] }> {
  await a();
  await b(); // warm-up, not counted
  const out = { a: [] as Run[], b: [] as Run[], ratios: [] as number[] };
  for (let i = 0; i < n; i++) {
    const x = await a();
    const y = await b();
    out.a.push(x);
    out.b.push(y);
    out.ratios.push(x.wallMs / y.wallMs);
  }
  return out;
}

/** Spawn the daemon and time until its destination exists; then stop it. */
async function watchFirstRender(entry: Entry, config: string, dst: string, cacheDir: string): Promise<number> {
  await rm(dst, { force: true });
  const seen = new Promise<number>((resolve) => {
    const w = watch(dirname(dst), (_e, name) => {
      if (name === basename(dst)) {
        w.close();
        resolve(performance.now());
      }
    });
  });
  const start = performance.now();
  const p = spawn(process.execPath, [...entry.args, 'run', '-c', config], { cwd: ROOT, stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', KEYPLATE_CACHE_DIR: cacheDir } });
  const timeout = new Promise<number>((resolve) => setTimeout(() => resolve(Number.NaN), 30_000).unref());
  const at = await Promise.race([seen, timeout]);
  p.kill('SIGTERM');
  await new Promise((resolve) => p.once('close', resolve));
  return at - start;
}

export interface StartupOptions {
  readonly entry: Entry;
  readonly dir: string;
  readonly etcdUrl: string;
  readonly samples: number;
  readonly log: (s: string) => void;
}

export async function startupRows(o: StartupOptions): Promise<{ rows: Row[]; notes: string[] }> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const node = () => timed(process.execPath, ['-e', '0']);
  // keyplate's caches (compiled templates, V8 code: docs/cli.md#caches) live here, not in the
  // user's ~/.cache; the warm-up run of each pairing fills them (a row below shows them off)
  const cache = { KEYPLATE_CACHE_DIR: join(o.dir, 'keyplate-cache') };
  // the same 10 services in the v2 keyspace and in a JSON file
  for (const [key, value] of seedKeys('/small', 10, 3)) {
    await fetch(`${o.etcdUrl}/v2/keys${key}`, { method: 'PUT', body: new URLSearchParams({ value }) });
  }
  const data: Record<string, unknown> = {};
  for (const [key, value] of seedKeys('', 10, 3)) {
    let at = data;
    const parts = key.split('/').filter(Boolean);
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[parts[parts.length - 1]] = value;
  }
  const dataFile = join(o.dir, 'small.json');
  await writeFile(dataFile, JSON.stringify(data));
  const backends: Array<[string, string | undefined]> = [
    ['etcd v3', undefined],
    ['etcd v2', `[resource.backend.etcd]\nnodes = [${JSON.stringify(o.etcdUrl)}]\nversion = 2`],
    ['file', `[resource.backend.file]\nfilepath = ${JSON.stringify(dataFile)}`],
  ];
  for (const [name, backendToml] of backends) {
    o.log(`(g) one-shot at 10 services, ${name}, paired with node -e 0`);
    const dst = join(o.dir, `startup-${name.replace(/\W/g, '')}.cfg`);
    const cfg = await writeSeedConfig({ dir: o.dir, etcdUrl: o.etcdUrl, prefix: name === 'file' ? '/' : '/small', dst, watch: false, backendToml }, `startup-${name.replace(/\W/g, '')}`);
    const r = await paired(() => timed(process.execPath, [...o.entry.args, 'run', '--onetime', '-c', cfg], ROOT, cache), node, o.samples);
    const failed = r.a.filter((x) => x.code !== 0);
    if (failed.length) notes.push(`(g) ${name}: ${failed.length} runs failed: ${failed[0].output.slice(-400)}`);
    const ratio = median(r.ratios);
    rows.push({
      measure: `(g) ${o.entry.label} run --onetime, 10 svc, ${name}: wall (× node -e 0 = ${fmtMs(median(r.b.map((x) => x.wallMs)))})`,
      samples: r.a.length,
      median: `${fmtMs(median(r.a.map((x) => x.wallMs)))} ${ratio.toFixed(2)}×`,
      tail: fmtMs(Math.max(...r.a.map((x) => x.wallMs))),
      target: '≤ 2 × node -e 0',
      result: verdict(ratio <= 2),
    });
    const rss = median(r.a.map((x) => x.rssBytes));
    rows.push({ measure: `(g)   peak RSS (node -e 0: ${fmtMb(median(r.b.map((x) => x.rssBytes)))})`, samples: r.a.length, median: fmtMb(rss), tail: fmtMb(Math.max(...r.a.map((x) => x.rssBytes))), target: '≤ 50 MB', result: verdict(rss <= 50 * 2 ** 20) });
    if (name !== 'etcd v3') continue;
    // the same without keyplate's caches (compiled templates, V8 code): a first run, or KEYPLATE_CACHE_DIR=""
    const cold = await paired(() => timed(process.execPath, [...o.entry.args, 'run', '--onetime', '-c', cfg], ROOT, { KEYPLATE_CACHE_DIR: '' }), node, Math.min(o.samples, 5));
    rows.push({
      measure: `    context: the same, caches off (templates, V8 code; peak RSS ${fmtMb(median(cold.a.map((x) => x.rssBytes)))})`,
      samples: cold.a.length,
      median: `${fmtMs(median(cold.a.map((x) => x.wallMs)))} ${median(cold.ratios).toFixed(2)}×`,
      tail: fmtMs(Math.max(...cold.a.map((x) => x.wallMs))),
    });
  }

  o.log('(g) watch mode: start → first render, 10 services, etcd v3');
  const wdst = join(o.dir, 'startup-watch.cfg');
  const wcfg = await writeSeedConfig({ dir: o.dir, etcdUrl: o.etcdUrl, prefix: '/small', dst: wdst, watch: true }, 'startup-watch');
  const firsts: number[] = [];
  await watchFirstRender(o.entry, wcfg, wdst, cache.KEYPLATE_CACHE_DIR); // warm-up, not counted
  for (let i = 0; i < o.samples; i++) firsts.push(await watchFirstRender(o.entry, wcfg, wdst, cache.KEYPLATE_CACHE_DIR));
  rows.push({ measure: `(g) ${o.entry.label} run (watch), 10 svc, etcd v3: spawn → first render on disk`, samples: firsts.length, median: fmtMs(median(firsts)), tail: fmtMs(Math.max(...firsts)), target: '≤ 150 ms', result: verdict(median(firsts) <= 150) });

  o.log('(g) npx keyplate --version, paired with npx --version');
  const npx = join(dirname(process.execPath), 'npx');
  const v = await paired(() => timed(npx, ['keyplate', '--version']), () => timed(npx, ['--version']), o.samples);
  const nodeOnly = await paired(node, node, 1);
  const floor = median(v.b.map((x) => x.wallMs));
  const budget = floor + 2 * median(nodeOnly.a.map((x) => x.wallMs));
  const med = median(v.a.map((x) => x.wallMs));
  rows.push({
    measure: `(g) npx keyplate --version in this checkout (npx --version = ${fmtMs(floor)})`,
    samples: v.a.length,
    median: `${fmtMs(med)} ${(med / floor).toFixed(2)}×`,
    tail: fmtMs(Math.max(...v.a.map((x) => x.wallMs))),
    target: `≤ npx + 2 × node -e 0 = ${fmtMs(budget)}`,
    result: verdict(med <= budget),
  });
  // What npx starts: keyplate's own share of the figure above.
  const own = await paired(() => timed(process.execPath, ['bin/keyplate.js', '--version']), node, o.samples);
  rows.push({
    measure: '    context: node bin/keyplate.js --version (the process npx starts; × node -e 0)',
    samples: own.a.length,
    median: `${fmtMs(median(own.a.map((x) => x.wallMs)))} ${median(own.ratios).toFixed(2)}×`,
    tail: fmtMs(Math.max(...own.a.map((x) => x.wallMs))),
  });
  // npx's own cost of running a local bin (it loads its installer and reads the project's tree
  // before running any; `npx --version` does neither): a bin that only exits, in an empty project
  const project = join(o.dir, 'npx-noop');
  await mkdir(join(project, 'node_modules', '.bin'), { recursive: true });
  await writeFile(join(project, 'package.json'), '{"name":"npx-noop","version":"1.0.0"}\n');
  await writeFile(join(project, 'node_modules', '.bin', 'noop'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const noop = await paired(() => timed(npx, ['noop'], project), () => timed(npx, ['--version'], project), Math.min(o.samples, 5));
  rows.push({
    measure: '    context: npx noop (a local bin that only exits, empty project; × npx --version)',
    samples: noop.a.length,
    median: `${fmtMs(median(noop.a.map((x) => x.wallMs)))} ${median(noop.ratios).toFixed(2)}×`,
    tail: fmtMs(Math.max(...noop.a.map((x) => x.wallMs))),
  });
  return { rows, notes };
}
