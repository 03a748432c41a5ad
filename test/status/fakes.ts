/** Fake worker statuses, cycle outcomes and a small Prometheus text-format parser for status tests. */
import type { TemplateSpec } from '../../src/config/types.ts';
import type { ProcessResult, TemplateOutcome } from '../../src/pipeline/process.ts';
import type { FeedStatus } from '../../src/runner/feed.ts';
import type { CycleOutcome, ResourceStatus } from '../../src/runner/resource-loop.ts';

export function source(over: Partial<FeedStatus> = {}): FeedStatus {
  return { backend: 'etcd', kind: 'etcd', connected: true, keys: 3, ...over };
}

export function worker(over: Partial<ResourceStatus> = {}): ResourceStatus {
  return { resource: 'haproxy', renders: 0, failures: 0, sources: [source()], ...over };
}

function template(dst: string, changed: boolean, wouldChange = changed): TemplateOutcome {
  return { template: { dst } as unknown as TemplateSpec, contents: '', wouldChange, changed, diff: null };
}

/** A successful cycle that replaced `changedFiles` of `files` destinations. */
export function okCycle(resource: string, changedFiles: number, durationMs: number, files = Math.max(changedFiles, 1)): CycleOutcome {
  const templates = Array.from({ length: files }, (_, i) => template(`/etc/${resource}/${i}.cfg`, i < changedFiles));
  const result: ProcessResult = { resource, wouldChange: changedFiles > 0, changed: changedFiles > 0, templates, durationMs };
  return { resource, ok: true, result, durationMs };
}

export function failedCycle(resource: string, error: unknown, durationMs: number): CycleOutcome {
  return { resource, ok: false, error, durationMs };
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly help: ReadonlyMap<string, string>;
  readonly type: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(?:,|$)/;

function parseLabels(s: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = s;
  while (rest.length > 0) {
    const m = LABEL.exec(rest);
    if (!m) throw new Error(`bad label set in: ${line}`);
    out[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(m[0].length);
  }
  return out;
}

function parseValue(v: string, line: string): number {
  // Go's ParseFloat (what Prometheus uses) takes NaN/Inf in any case; prom-client writes "Nan"
  if (/^\+?inf$/i.test(v)) return Infinity;
  if (/^-inf$/i.test(v)) return -Infinity;
  if (/^nan$/i.test(v)) return NaN;
  const n = Number(v);
  if (!/^-?[\d.]+(e[+-]?\d+)?$/i.test(v) || Number.isNaN(n)) throw new Error(`bad value in: ${line}`);
  return n;
}

/** Family a sample belongs to (histogram/summary suffixes stripped when the base is declared). */
function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return types.has(base) ? base : undefined;
}

/** Parse Prometheus text format 0.0.4 strictly: every sample must follow a HELP and TYPE of its family. */
export function parseExposition(text: string): Exposition {
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'HELP') help.set(meta[2], meta[3]);
      else if (!/^(counter|gauge|histogram|summary|untyped)$/.test(meta[3])) throw new Error(`bad TYPE: ${line}`);
      else type.set(meta[2], meta[3]);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const family = familyOf(m[1], type);
    if (!family || !help.has(family)) throw new Error(`sample without HELP/TYPE: ${line}`);
    samples.push({ name: m[1], labels: m[2] ? parseLabels(m[2], line) : {}, value: parseValue(m[3], line) });
  }
  return { help, type, samples };
}

/** The value of the one sample matching name and (a subset of) labels; undefined when absent. */
export function valueOf(e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} samples match ${name} ${JSON.stringify(labels)}`);
  return hits[0]?.value;
}
