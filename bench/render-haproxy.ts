/**
 * examples/etcd-haproxy's haproxy.cfg template over 100,000 keys (30,000 services × 3 instances
 * and 10,000 host mappings), rendered RUNS times by one engine with the preset functions, as the
 * daemon renders it. Prints the first and the median render.
 *
 *   npx tsx bench/render-haproxy.ts [keys=100000] [runs=5]
 */
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { presetFunctions } from '../src/presets/functions.ts';
import { createTemplateEngine } from '../src/template/index.ts';
import { MemoryTree } from '../src/tree/tree.ts';

export const HAPROXY_TEMPLATE = fileURLToPath(new URL('../examples/etcd-haproxy/templates/haproxy.cfg.njk', import.meta.url));

/** `keys` keys: 9/10 of them servers (3 per service), 1/10 host mappings. */
export function haproxyTree(keys: number): MemoryTree {
  const tree = new MemoryTree();
  const services = Math.floor((keys * 0.9) / 3);
  for (let n = 0; n < services; n++) {
    for (let j = 0; j < 3; j++) tree.set(`/services/svc${n}/docker${j}:svc${n}.${j}:80`, `10.${j}.${(n >> 8) & 255}.${n & 255}:${20_000 + (n % 40_000)}`);
  }
  for (let h = 0; tree.size < keys; h++) tree.set(`/hosts/h${h}.example.com`, `svc${h % services}`);
  return tree;
}

/** Median wall ms per render over `runs` renders (after the first, which is returned apart). */
export async function renderHaproxy(keys: number, runs: number): Promise<{ firstMs: number; times: number[]; bytes: number }> {
  const tree = haproxyTree(keys);
  const preset = presetFunctions();
  const engine = createTemplateEngine({ env: {}, globals: preset.globals, treeGlobals: preset.treeGlobals });
  const vars = { vars: { admin_socket: '/run/haproxy/admin.sock', hard_stop_after: '30s', http_bind: ':80', hosts_map: '/dev/null', server_options: '' } };
  const input = { resource: 'bench', tree, vars };
  let t0 = performance.now();
  const first = await engine.renderFile(HAPROXY_TEMPLATE, input);
  const firstMs = performance.now() - t0;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    t0 = performance.now();
    await engine.renderFile(HAPROXY_TEMPLATE, input);
    times.push(performance.now() - t0);
  }
  return { firstMs, times, bytes: first.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await renderHaproxy(Number(process.argv[2] ?? 100_000), Number(process.argv[3] ?? 5));
  const sorted = [...r.times].sort((a, b) => a - b);
  console.log(`first ${r.firstMs.toFixed(0)} ms, median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms, ${r.bytes} bytes`);
}
