/** Quantiles and the plain-text results table. */

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const median = (v: readonly number[]) => quantile(v, 0.5);
export const p99 = (v: readonly number[]) => quantile(v, 0.99);

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function fmtMb(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MB` : 'n/a';
}

export interface Row {
  readonly measure: string;
  readonly samples: number | string;
  readonly median: string;
  /** p99 (or the worst of a few runs; the column header says which). */
  readonly tail: string;
  readonly target?: string;
  /** HIT / MISS / '' (no target). */
  readonly result?: string;
}

export function verdict(ok: boolean | undefined): string {
  return ok === undefined ? 'n/a' : ok ? 'HIT' : 'MISS';
}

/** Aligned plain-text table. */
export function table(rows: readonly Row[]): string {
  const head = ['measure', 'n', 'median', 'p99/max', 'target', 'result'];
  const cells = rows.map((r) => [r.measure, String(r.samples), r.median, r.tail, r.target ?? '', r.result ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: readonly string[]) =>
    c.map((v, i) => (i === 1 || i === 2 || i === 3 ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
