/**
 * (e) Quarantine: time from a refused render to the install of the remaining changes, with 1, 10
 * and 100 changed keys in the delta (one of them refused by check_cmd). In process: the memory
 * backend, the real resource loop and pipeline (template engine, staging, a real `sh` check_cmd
 * per check, atomic install) into a temp dir. Timed from the moment the real pass is refused to
 * the moment the pass with every other change has installed (the bisect's checks on temp copies
 * in between). Also reports how many checks each refusal took.
 *
 *   npx tsx bench/quarantine.ts [--quick]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { createMemoryBackend } from '../src/backends/memory.ts';
import type { BackendSpec, ResourceSpec } from '../src/config/types.ts';
import { createCommandRunner } from '../src/exec/run.ts';
import { processResource, RejectedRenders } from '../src/pipeline/process.ts';
import { Feed } from '../src/runner/feed.ts';
import { ResourceLoop, type ProcessFn } from '../src/runner/resource-loop.ts';
import { createTemplateEngine } from '../src/template/index.ts';
import { normalizeKey } from '../src/tree/keys.ts';
import { fmtMs, median, type Row } from './lib/stats.ts';

const LIST = '{% for s in gets("/services/*") %}server {{ s.Key | base }} {{ s.Value }}\n{% endfor %}';

export interface QuarantineSample {
  readonly ms: number;
  readonly checks: number;
}

export async function quarantineBench(deltas: readonly number[], samples: number): Promise<Map<number, QuarantineSample[]>> {
  const dir = await mkdtemp(join(tmpdir(), 'keyplate-bench-quarantine-'));
  const ac = new AbortController();
  const keepAlive = setInterval(() => {}, 1000); // the loop's timers are unref'd
  try {
    const src = join(dir, 'app.njk');
    const dst = join(dir, 'app.cfg');
    await writeFile(src, LIST);
    const logger = pino({ level: 'silent' });
    const mem = createMemoryBackend('memory', { '/services/base': 'ok' });
    const bspec: BackendSpec = { kind: 'memory', name: 'memory', prefix: normalizeKey('/'), keys: [normalizeKey('/')], watchKeys: [], watch: true, onetime: false, options: {}, origin: { file: 'bench' } };
    const spec: ResourceSpec = {
      name: 'app',
      templates: [{ src, dst, checkCmd: '! grep -q BAD {{.src}}', checkTimeoutMs: 10_000, reloadTimeoutMs: 10_000, makeDirectories: false, origin: { file: 'bench' } }],
      backends: [bspec],
      reloadTimeoutMs: 10_000,
      debounce: { minMs: 0, maxMs: 0 },
      origin: { file: 'bench' },
    };
    const engine = createTemplateEngine({ env: {} });
    const run = createCommandRunner({ logger, env: { PATH: process.env.PATH } });
    const rejected = new RejectedRenders();
    let refusedAt: number | undefined;
    let probes = 0;
    let done: ((s: QuarantineSample) => void) | undefined;
    const fn: ProcessFn = async (s, tree, opts) => {
      if (opts.probe) probes++;
      try {
        const r = await processResource({ render: (t) => engine.renderFile(t.src, { resource: s.name, tree, signal: opts.signal }), run, logger }, s, { ...opts, rejected });
        if (!opts.probe && refusedAt !== undefined && done) {
          done({ ms: performance.now() - refusedAt, checks: probes });
          refusedAt = undefined;
        }
        return r;
      } catch (e) {
        if (!opts.probe && refusedAt === undefined) {
          refusedAt = performance.now();
          probes = 0;
        }
        throw e;
      }
    };
    const loop = new ResourceLoop(spec, [new Feed(bspec, mem, logger)], { process: fn, logger, quarantineChecksPerMinute: Number.POSITIVE_INFINITY }); // the per-minute budget would pace the samples
    const running = loop.start({ noop: false, signal: ac.signal });
    const settle = async () => {
      for (let i = 0; i < 500 && (loop.status().renders === 0 || loop.status().quarantined?.length); i++) await new Promise((r) => setTimeout(r, 10));
    };
    await settle();
    const out = new Map<number, QuarantineSample[]>();
    for (const n of deltas) {
      const got: QuarantineSample[] = [];
      for (let i = 0; i < samples; i++) {
        const keys = Array.from({ length: n }, (_, j) => `/services/d${n}-${i}-${String(j).padStart(3, '0')}`);
        const bad = keys[Math.floor(n / 2)];
        const sample = new Promise<QuarantineSample>((resolve) => (done = resolve));
        for (const k of keys) mem.set(k, k === bad ? 'BAD' : 'ok');
        process.stderr.write(`bench: (e) ${n} keys, sample ${i + 1}\n`);
        got.push(await sample);
        done = undefined;
        for (const k of keys) mem.delete(k);
        await settle();
      }
      out.set(n, got);
    }
    ac.abort();
    await running;
    return out;
  } finally {
    clearInterval(keepAlive);
    ac.abort();
    await rm(dir, { recursive: true, force: true });
  }
}

export function quarantineRows(results: Map<number, QuarantineSample[]>): Row[] {
  return [...results].map(([n, s]) => ({
    measure: `(e) refused render → rest installed, ${n} changed key${n === 1 ? '' : 's'} (checks: ${median(s.map((x) => x.checks))})`,
    samples: s.length,
    median: fmtMs(median(s.map((x) => x.ms))),
    tail: fmtMs(Math.max(...s.map((x) => x.ms))),
    target: `≤ ${Math.ceil(Math.log2(n)) + 2} checks`,
    result: s.every((x) => x.checks <= Math.ceil(Math.log2(n)) + 2) ? 'HIT' : 'MISS',
  }));
}

if (process.argv[1]?.endsWith(`bench/quarantine.ts`)) {
  const { table } = await import('./lib/stats.ts');
  const r = await quarantineBench([1, 10, 100], process.argv.includes('--quick') ? 3 : 10);
  process.stdout.write(`${table(quarantineRows(r))}\n`);
}
