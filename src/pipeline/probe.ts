/**
 * A probe: would this tree be accepted? Render every template, write the renders into a private
 * temp directory (0700, files 0600; never the destination, never beside it), run each template's
 * check_cmd on its copy (`{{ src }}` is the copy, `{{ dst }}` the real destination) and, when the
 * resource installs through an applier that can check (the supervised HAProxy), its check with
 * the copies in place of the destinations. Quarantine (runner/quarantine.ts) bisects with it.
 *
 * A refusal throws the same errors the real pass throws (ResourceError step 'render',
 * CommandStepError step 'check' or 'reload'), so callers tell a rejection from a timeout alike.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ResourceSpec } from '../config/types.ts';
import { describeOutcome, outputTail, succeeded, type CommandResult, type CommandRunner } from '../exec/run.ts';
import type { Applier } from './commit.ts';
import { checkRecordPath } from './leftovers.ts';
import { CommandStepError } from './step-error.ts';

/** Checks the consumer's own view of a set of files: destination → path of the candidate copy. */
export interface CandidateChecker {
  checkCandidate(files: ReadonlyMap<string, string>, signal?: AbortSignal): Promise<{ ok: boolean; message: string; timedOut?: boolean }>;
}

export function canCheckCandidates(a: Applier | undefined): a is Applier & CandidateChecker {
  return a !== undefined && typeof (a as Partial<CandidateChecker>).checkCandidate === 'function';
}

export interface ProbeDeps {
  readonly run: CommandRunner;
  readonly applier?: Applier;
}

/** Check `rendered` (one string per template of `spec`) on temp copies; throws like the real pass. */
export async function probeRenders(deps: ProbeDeps, spec: ResourceSpec, rendered: readonly string[], signal?: AbortSignal): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'keyplate-probe-'));
  try {
    const copies = new Map<string, string>();
    for (const [i, t] of spec.templates.entries()) {
      const path = join(dir, `${i}-${basename(t.dst)}`);
      await writeFile(path, rendered[i], { mode: 0o600 });
      copies.set(t.dst, path);
    }
    for (const t of spec.templates) {
      if (t.checkCmd === undefined) continue;
      signal?.throwIfAborted();
      const result = await deps.run(t.checkCmd, { vars: { src: copies.get(t.dst)!, dst: t.dst, name: spec.name }, timeoutMs: t.checkTimeoutMs, signal, record: checkRecordPath(t.dst) });
      if (!succeeded(result)) {
        const tail = outputTail(result);
        throw new CommandStepError(spec.name, 'check', `${t.dst}: check_cmd (${result.command}) ${describeOutcome(result, t.checkTimeoutMs)}${tail ? `\n${tail}` : ''}`, { result, template: t.dst });
      }
    }
    if (canCheckCandidates(deps.applier)) {
      signal?.throwIfAborted();
      const r = await deps.applier.checkCandidate(copies, signal);
      if (!r.ok) {
        const result: CommandResult = { command: 'haproxy -c', exitCode: r.timedOut ? null : 1, signal: null, timedOut: r.timedOut === true, stdout: '', stderr: r.message, durationMs: 0 };
        throw new CommandStepError(spec.name, 'reload', `HAProxy (check): ${r.message}`, { result });
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
