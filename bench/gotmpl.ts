/**
 * (i) Render time of the Go template engine against the Nunjucks engine for the same HAProxy
 * template (registrator data: every service's backend with its servers, a frontend ACL per
 * service) at 1,000 and 10,000 services × 3, in process, over an in-memory tree. Both outputs
 * are checked equal first. Target: Go ≤ 1.5 × Nunjucks.
 *
 *   npx tsx bench/gotmpl.ts [--quick]     (this section alone)
 */
import { performance } from 'node:perf_hooks';
import { createTemplateEngine, type TemplateEngine } from '../src/template/index.ts';
import { MemoryTree } from '../src/tree/tree.ts';
import { seedKeys } from './lib/seed-data.ts';
import { fmtMs, median, p99, table, verdict, type Row } from './lib/stats.ts';

const NUNJUCKS = `frontend http-in
    bind *:80
{% for svc in lsdir("/services") %}
    use_backend {{ svc }} if { hdr_beg(host) {{ svc }} }
{% endfor %}
{% for svc in lsdir("/services") %}

backend {{ svc }}
    mode {{ getv("/config/" + svc + "/scheme", "http") }}
{% for s in gets("/services/" + svc + "/*") %}
    server {{ s.Key | base }} {{ s.Value }} check
{% endfor %}
{% endfor %}
`;

const GO = `frontend http-in
    bind *:80
{{- range $svc := lsdir "/services" }}
    use_backend {{ $svc }} if { hdr_beg(host) {{ $svc }} }
{{- end }}
{{ range $svc := lsdir "/services" }}
backend {{ $svc }}
    mode {{ getv (printf "/config/%s/scheme" $svc) "http" }}
{{- range gets (printf "/services/%s/*" $svc) }}
    server {{ base .Key }} {{ .Value }} check
{{- end }}
{{ end -}}
`;

const noDns = {
  lookupIP: async () => [] as string[],
  lookupSRV: async () => [],
};

function renderer(engine: TemplateEngine, tree: MemoryTree, go: boolean): () => Promise<string> {
  const input = { resource: 'bench', tree, engine: go ? ('go' as const) : ('nunjucks' as const) };
  return () => engine.renderString(go ? GO : NUNJUCKS, go ? 'haproxy.cfg.tmpl' : 'haproxy.cfg.njk', input);
}

async function time(fn: () => Promise<string>, samples: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

export async function gotmplBench(opts: { sizes?: readonly number[]; samples: number; log?: (s: string) => void }): Promise<Row[]> {
  const rows: Row[] = [];
  for (const services of opts.sizes ?? [1_000, 10_000]) {
    const tree = new MemoryTree(seedKeys('', services, 3));
    const engine = createTemplateEngine({ env: {}, resolver: noDns });
    const nj = renderer(engine, tree, false);
    const go = renderer(engine, tree, true);
    const [a, b] = [await nj(), await go()];
    if (a !== b) throw new Error(`(i) the two templates render differently at ${services} services:\n${a.slice(0, 400)}\n---\n${b.slice(0, 400)}`);
    const samples = services >= 10_000 ? Math.max(3, Math.round(opts.samples / 4)) : opts.samples;
    opts.log?.(`(i) Nunjucks vs Go template render, ${services.toLocaleString('en')} services × 3`);
    // Compile and let the JIT settle, then interleave the engines' runs so load on the machine hits both alike.
    for (let i = 0; i < (services >= 10_000 ? 3 : 50); i++) await Promise.all([nj(), go()]);
    const tn: number[] = [];
    const tg: number[] = [];
    for (let round = 0; round < samples; round += 5) {
      tn.push(...(await time(nj, Math.min(5, samples - round))));
      tg.push(...(await time(go, Math.min(5, samples - round))));
    }
    const [mn, mg] = [median(tn), median(tg)];
    const label = `(i) render HAProxy template, ${services.toLocaleString('en')} svc × 3`;
    rows.push({ measure: `${label}: Nunjucks`, samples: tn.length, median: fmtMs(mn), tail: fmtMs(p99(tn)) });
    rows.push({ measure: `${label}: Go template`, samples: tg.length, median: fmtMs(mg), tail: fmtMs(p99(tg)), target: `≤ 1.5 × Nunjucks = ${fmtMs(1.5 * mn)}`, result: verdict(mg <= 1.5 * mn) });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const rows = await gotmplBench({ samples: quick ? 10 : 40, log: (s) => process.stderr.write(`bench: ${s}\n`) });
  process.stdout.write(`${table(rows)}\n`);
}
