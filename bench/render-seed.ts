/**
 * Seed-template render benchmark: examples/registrator-etcd/haproxy.tmpl over 10,000 services ×
 * 3 instances (~41,000 keys), rendered RUNS times by one engine (the watch loop's steady state).
 * Prints the first render, median, p99 and min wall time per render; the median CPU time per
 * render (user+system of the whole process, so GC threads count; steadier than wall time on a busy
 * box); the median render right after one put (the watch loop's case: caches partly invalidated);
 * and peak RSS.
 *
 *   npx tsx bench/render-seed.ts [services=10000] [runs=20]
 */
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createTemplateEngine } from '../src/template/index.ts';
import { MemoryTree } from '../src/tree/tree.ts';

const SERVICES = Number(process.argv[2] ?? 10_000);
const RUNS = Number(process.argv[3] ?? 20);
const TEMPLATE = fileURLToPath(new URL('../examples/registrator-etcd/haproxy.tmpl', import.meta.url));

function buildTree(services: number): MemoryTree {
  const tree = new MemoryTree();
  for (let n = 0; n < services; n++) {
    const svc = `svc${n}`;
    tree.set(`/config/${svc}/scheme`, n % 2 === 0 ? 'http' : 'tcp');
    if (n % 10 === 0) tree.set(`/config/${svc}/host_port`, String(10_000 + n));
    for (let j = 0; j < 3; j++) {
      tree.set(`/services/${svc}/host${j}:${svc}.${j}:80`, `10.0.${j}.${n % 250}:${20_000 + (n % 40_000)}`);
    }
  }
  return tree;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

const buildStart = performance.now();
const tree = buildTree(SERVICES);
const buildMs = performance.now() - buildStart;
const engine = createTemplateEngine({ env: {}, resolver: { lookupIP: async () => [], lookupSRV: async () => [] } });
const input = { resource: 'bench', tree };
const keys = tree.size;

const times: number[] = [];
const cpu: number[] = [];
let bytes = 0;
let peakRss = process.memoryUsage().rss;
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const out = await engine.renderFile(TEMPLATE, input);
  const c1 = process.cpuUsage(c0);
  times.push(performance.now() - t0);
  cpu.push((c1.user + c1.system) / 1000);
  bytes = out.length;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
// Watch steady state: one put (new instance, changed value, new service in turn), then a render.
const putTimes: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const n = (i * 7919) % SERVICES;
  if (i % 3 === 0) tree.set(`/services/svc${n}/host9:svc${n}.9:80`, `10.0.9.${i % 250}:30000`);
  else if (i % 3 === 1) tree.set(`/services/svc${n}/host0:svc${n}.0:80`, `10.0.0.${i % 250}:30001`);
  else {
    tree.set(`/config/new${i}/scheme`, 'http');
    tree.set(`/services/new${i}/host0:new${i}.0:80`, `10.1.0.${i % 250}:30002`);
  }
  const t0 = performance.now();
  await engine.renderFile(TEMPLATE, input);
  putTimes.push(performance.now() - t0);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
const sorted = [...times].sort((a, b) => a - b);
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
console.table({
  keys,
  'tree build': fmt(buildMs),
  'output bytes': bytes,
  renders: RUNS,
  'first render': fmt(times[0]),
  median: fmt(quantile(sorted, 0.5)),
  p99: fmt(quantile(sorted, 0.99)),
  min: fmt(sorted[0]),
  'median CPU': fmt(quantile([...cpu].sort((a, b) => a - b), 0.5)),
  'put→render median': fmt(quantile([...putTimes].sort((a, b) => a - b), 0.5)),
  'peak RSS': `${(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20).toFixed(0)} MB`,
});
