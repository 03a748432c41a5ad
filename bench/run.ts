/**
 * `npm run bench`: keyplate's end-to-end benchmarks against a real etcd and a real HAProxy.
 *   (a) watch convergence, etcd put → destination updated, at 10 and 10,000 services × 3
 *   (b) one-shot render of 10,000 services × 3 from etcd, wall time and peak RSS (shipped JS)
 *   (c) bare etcd put acknowledgement, the floor for (a)
 *   (d) etcd put → first request served by the new server, Runtime API vs forced reload
 *   (e) quarantine: a refused render → the other changes installed, 1/10/100 changed keys
 *   (f) put → destination updated per backend (etcd v3, redis, nats, zookeeper) at 10 and 1,000 services × 3
 *   (g) start-up as shipped: one-shot at 10 services and `npx keyplate --version` paired with their
 *       yardsticks (`node -e 0`, `npx --version`), watch mode spawn → first render
 *   (h) watch-mode peak RSS at 10,000 services × 3; examples/etcd-haproxy at 100,000 keys
 *   (i) render time, Go template engine vs Nunjucks, same HAProxy template, 1,000 and 10,000 services × 3
 * Prints an aligned table with HIT/MISS beside each target (never fails on timing) and writes
 * it to bench/results.md. Everything it starts is stopped, also on Ctrl-C.
 *
 *   npm run bench            (or: npx tsx bench/run.ts --quick   for a smoke run;
 *                             --only=a,g   for those sections only, a = (a) and (c); never writes results.md)
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startEtcd, v3Client, ETCD_BIN } from '../test/helpers/etcd.ts';
import { Cleanup } from './lib/cleanup.ts';
import { putAll, seedKeys } from './lib/seed-data.ts';
import { fmtMb, fmtMs, median, p99, table, verdict, type Row } from './lib/stats.ts';
import { liveHaproxy } from './haproxy-live.ts';
import { onetimeRun, ROOT, shippedEntry, startupRun, type Entry } from './onetime.ts';
import type { Etcd3 } from 'etcd3';
import { quarantineBench, quarantineRows } from './quarantine.ts';
import { convergence, installFloor, putFloor, watchFloor, writeSeedConfig } from './watch-convergence.ts';
import { backendConvergence } from './backends.ts';
import { gotmplBench } from './gotmpl.ts';
import { scaleRows } from './scale.ts';
import { startupRows } from './startup.ts';

const QUICK = process.argv.includes('--quick');
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const N = {
  floor: QUICK ? 20 : 100,
  small: QUICK ? 20 : 60,
  large: QUICK ? 10 : 50,
  onetime: QUICK ? 2 : 5,
  live: QUICK ? 5 : 50,
  reload: QUICK ? 5 : 40,
  backends: QUICK ? 10 : 40,
  startup: QUICK ? 3 : 10,
  scale: QUICK ? 2 : 5,
};
const LARGE = 10_000;
const SMALL = 10;
const INSTANCES = 3;

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

function version(cmd: string, args: string[], pattern: RegExp): string {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return pattern.exec(out)?.[1] ?? '?';
  } catch {
    return '?';
  }
}

async function main(cleanup: Cleanup): Promise<void> {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'keyplate-bench-'));
  cleanup.after(() => rm(dir, { recursive: true, force: true }));
  const rows: Row[] = [];
  const notes: string[] = [];
  const loadBefore = loadavg()[0];

  log('starting etcd');
  const etcd = await startEtcd(cleanup);
  const kv = v3Client(cleanup, etcd.clientUrl);
  log(`seeding ${SMALL} and ${LARGE.toLocaleString('en')} services × ${INSTANCES}`);
  const large = seedKeys('/large', LARGE, INSTANCES);
  await putAll(kv, [...seedKeys('/small', SMALL, INSTANCES), ...large]);

  const only = ONLY?.split(',');
  const run = (section: string) => only === undefined || only.includes(section);

  // (c) the floor, then (a) at 10 services, in the same etcd and run.
  if (run('a')) await convergenceRows(kv, etcd.clientUrl, dir, large.length, rows, notes);
  // (f) (a) per backend.
  if (run('f')) rows.push(...(await backendConvergence({ cleanup, kv, etcdUrl: etcd.clientUrl, dir, samples: N.backends, log })));
  const entry = await shippedEntry(log);
  if (entry.note) notes.push(`(b) ${entry.note}`);
  if (run('b')) rows.push(...(await onetimeRows(entry, etcd.clientUrl, dir, notes)));
  // (d) live HAProxy: Runtime API, then forced reloads.
  if (run('d')) rows.push(...(await liveRows(cleanup, kv, etcd.clientUrl, dir, entry, notes)));
  // (g) start-up, whole process, paired with its yardsticks.
  if (run('g')) {
    const g = await startupRows({ entry, dir, etcdUrl: etcd.clientUrl, samples: N.startup, log });
    rows.push(...g.rows);
    notes.push(...g.notes);
  }
  // (h) watch RSS at 10,000 services, the etcd-haproxy template at 100,000 keys.
  if (run('h')) rows.push(...(await scaleRows({ entry, kv, dir, etcdUrl: etcd.clientUrl, largePrefix: '/large', runs: N.scale, log })));
  // (i) the two template engines on the same HAProxy template, in process.
  if (run('i')) rows.push(...(await gotmplBench({ samples: QUICK ? 10 : 40, log })));
  // (e) quarantine: refused render → the other changes installed.
  if (run('e')) {
    log('(e) quarantine: refused render → rest installed, 1/10/100 changed keys');
    rows.push(...quarantineRows(await quarantineBench([1, 10, 100], QUICK ? 3 : 10)));
  }
  await report(rows, notes, loadBefore, started);
}

/** (c) the floors and (a) watch convergence at 10 and 10,000 services. */
async function convergenceRows(kv: Etcd3, etcdUrl: string, dir: string, largeKeys: number, rows: Row[], notes: string[]): Promise<void> {
  log('(c) put acknowledgement floor');
  const floor = await putFloor(kv, N.floor);
  const watched = await watchFloor(kv, N.floor);
  const install = await installFloor(dir, N.floor);
  log('(a) watch convergence, 10 services');
  const small = await convergence(kv, { dir, etcdUrl, prefix: '/small', dst: join(dir, 'small.cfg'), watch: true, services: SMALL, samples: N.small });
  log(`(a) watch convergence, ${LARGE.toLocaleString('en')} services`);
  const big = await convergence(kv, { dir, etcdUrl, prefix: '/large', dst: join(dir, 'large.cfg'), watch: true, services: LARGE, samples: N.large });

  const floorMed = median(floor);
  const watchMed = median(watched);
  const x = (ms: number) => `${fmtMs(ms)} ${(ms / watchMed).toFixed(1)}×`;
  rows.push({ measure: '(c) etcd put → watch event (floor of (a))', samples: watched.length, median: fmtMs(watchMed), tail: fmtMs(p99(watched)) });
  rows.push({ measure: '    context: etcd put → ack', samples: floor.length, median: fmtMs(floorMed), tail: fmtMs(p99(floor)) });
  rows.push({ measure: '    context: write+fsync+rename+dir fsync, 2 KB', samples: install.length, median: fmtMs(median(install)), tail: fmtMs(p99(install)) });
  rows.push({
    measure: `(a) put → file updated, ${SMALL} services × ${INSTANCES}`,
    samples: small.times.length,
    median: x(median(small.times)),
    tail: fmtMs(p99(small.times)),
    target: `median ≤ floor + 1.5 ms = ${fmtMs(watchMed + 1.5)}`,
    result: verdict(median(small.times) <= watchMed + 1.5),
  });
  rows.push({
    measure: `(a) put → file updated, ${LARGE.toLocaleString('en')} services × ${INSTANCES}`,
    samples: big.times.length,
    median: x(median(big.times)),
    tail: fmtMs(p99(big.times)),
    target: 'median ≤ 40 ms',
    result: verdict(median(big.times) <= 40),
  });
  notes.push(
    `(a) acks of the same puts: median ${fmtMs(median(small.acks))} (10 svc), ${fmtMs(median(big.acks))} (10k svc); ` +
      `start → first render on disk: ${fmtMs(small.firstRenderMs)} (10 svc), ${fmtMs(big.firstRenderMs)} (10k svc, ${largeKeys.toLocaleString('en')} keys).`,
  );

}

/** (b) the one-shot render of 10,000 services × 3 as shipped: wall time and peak RSS. */
async function onetimeRows(entry: Entry, etcdUrl: string, dir: string, notes: string[]): Promise<Row[]> {
  log('(b) one-shot render');
  const onetimeCfg = await writeSeedConfig({ dir, etcdUrl, prefix: '/large', dst: join(dir, 'onetime.cfg'), watch: false }, 'onetime');
  const runs = [];
  const startups: number[] = [];
  for (let i = 0; i < N.onetime; i++) startups.push(await startupRun(entry));
  for (let i = 0; i < N.onetime; i++) {
    log(`(b) ${entry.label} run --onetime (${i + 1}/${N.onetime})`);
    const r = await onetimeRun(entry, onetimeCfg, join(dir, 'onetime.cfg'));
    if (!r.ok) notes.push(`(b) run ${i + 1} failed: ${r.output.slice(-500)}`);
    runs.push(r);
  }
  const walls = runs.map((r) => r.wallMs);
  const rss = runs.map((r) => r.peakRssBytes);
  const label = `(b) ${entry.label} run --onetime, ${LARGE.toLocaleString('en')} svc × ${INSTANCES}`;
  return [
    { measure: `${label}: wall (× --version below)`, samples: runs.length, median: `${fmtMs(median(walls))} ${(median(walls) / median(startups)).toFixed(1)}×`, tail: fmtMs(Math.max(...walls)), target: '≤ 0.5 s', result: verdict(median(walls) <= 500) },
    { measure: `    context: ${entry.label} --version (start + exit)`, samples: startups.length, median: fmtMs(median(startups)), tail: fmtMs(Math.max(...startups)) },
    { measure: `${label}: peak RSS`, samples: runs.length, median: fmtMb(median(rss)), tail: fmtMb(Math.max(...rss)), target: '≤ 120 MB', result: verdict(median(rss) <= 120 * 2 ** 20) },
  ];
}

/** (d) a live HAProxy: put → first request by the new server, Runtime API then forced reloads. */
async function liveRows(cleanup: Cleanup, kv: Etcd3, etcdUrl: string, dir: string, entry: Entry, notes: string[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const runtimeApi of [true, false]) {
    const what = runtimeApi ? 'Runtime API' : 'forced reload (runtime_api = false)';
    log(`(d) put → first request served by the new server, ${what}`);
    const sub = join(dir, runtimeApi ? 'live-runtime' : 'live-reload');
    await mkdir(sub);
    try {
      const r = await liveHaproxy({ cleanup, kv, etcdUrl, dir: sub, entry, runtimeApi, samples: runtimeApi ? N.live : N.reload });
      rows.push({ measure: `(d) put → first request by new server, ${what}`, samples: r.times.length, median: fmtMs(median(r.times)), tail: fmtMs(p99(r.times)) });
      notes.push(...r.notes.map((n) => `(d) ${what}: ${n}`));
    } catch (e) {
      rows.push({ measure: `(d) put → first request by new server, ${what}`, samples: 0, median: 'n/a', tail: 'n/a', result: 'ERROR' });
      notes.push(`(d) ${what}: ${(e as Error).message.slice(0, 1500)}`);
    }
  }
  return rows;
}

async function report(rows: Row[], notes: string[], loadBefore: number, started: number): Promise<void> {
  const env =
    `node ${process.version}, ${availableParallelism()} CPU (${cpus()[0]?.model ?? '?'}), ` +
    `etcd ${version(ETCD_BIN, ['--version'], /etcd Version: (\S+)/)}, HAProxy ${version('/usr/sbin/haproxy', ['-v'], /version (\S+)/)}; ` +
    `load average ${loadBefore.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end (other work on the machine skews the numbers)`;
  const text = [
    `keyplate benchmark, ${new Date().toISOString()}${QUICK ? ' (--quick: fewer samples)' : ''}${ONLY ? ` (--only=${ONLY})` : ''}`,
    env,
    '',
    table(rows),
    '',
    'p99/max: p99 over the samples; for (b) the worst of the runs.',
    '(a) in-process runner (etcd v3 backend, watch, wait = 0, seed template), timed from just before the put to the inotify event of the new file.',
    '(e) in-process loop, memory backend, a `sh` check_cmd per check; timed from the refused pass to the install of every other change (the bisect on temp copies in between); checks = median checks per refusal.',
    '(f) as (a), one store per backend (redis-server with keyspace notifications on, a nats-server 2.9 KV bucket, a standalone ZooKeeper 3.8), data under its own prefix.',
    '(g) whole processes, each run paired with its yardstick run (A B A B ...); the ratio is the median of the pairs\' ratios.',
    '(i) in process, memory tree of registrator data; the same HAProxy template as Nunjucks and as a Go (confd) template, outputs checked equal; runs interleaved.',
    '(d) keyplate (child, as shipped) supervising HAProxy 2.6 with min_reload_interval = 0; fresh connection per request; each sample\'s server is removed (untimed) before the next.',
    ...notes.map((n) => `note: ${n}`),
    `(total bench time ${fmtMs(performance.now() - started)})`,
  ].join('\n');
  process.stdout.write(`\n${text}\n`);
  if (ONLY) return; // a partial run never overwrites the full table
  await writeFile(join(ROOT, 'bench/results.md'), `# keyplate benchmark results\n\nWritten by \`npm run bench\` (bench/run.ts); overwritten on every run.\n\n\`\`\`\n${text}\n\`\`\`\n`);
  log('wrote bench/results.md');
}

const cleanup = new Cleanup();
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping everything`);
    void cleanup.run().then(() => process.exit(130));
  });
}
try {
  await main(cleanup);
} catch (e) {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup.run();
}
