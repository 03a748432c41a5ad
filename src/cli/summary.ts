/** The per-resource summary `run --onetime` and `check --render` print. */
import type { RunSummary } from '../runner/runner.ts';

export function formatSummary(summary: RunSummary): string {
  const lines = summary.resources.map((r) => {
    if (!r.ok) return `  ${r.resource}: FAILED (exit ${r.exitCode}) ${r.error ?? ''}`;
    if (r.changed) return `  ${r.resource}: updated`;
    if (r.wouldChange) return `  ${r.resource}: would change (noop)`;
    return `  ${r.resource}: in sync`;
  });
  const failed = summary.resources.filter((r) => !r.ok).length;
  return `keyplate: ${summary.resources.length - failed} ok, ${failed} failed\n${lines.join('\n')}\n`;
}
