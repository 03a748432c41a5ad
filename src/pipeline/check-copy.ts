/**
 * The dry run's check: check_cmd runs on a temporary copy of the render (never the destination,
 * never beside it), with the same placeholders (`{{.src}}` the copy, `{{.dst}}` the destination).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ResourceSpec, TemplateSpec } from '../config/types.ts';
import { describeOutcome, outputTail, succeeded, type CommandResult, type CommandRunner } from '../exec/run.ts';
import { citeCheckOutput } from './rejection.ts';

export interface CopyCheck {
  readonly template: TemplateSpec;
  readonly result: CommandResult;
  readonly ok: boolean;
  /** For a failure: what failed, with the lines the checker named mapped to the template. */
  readonly message?: string;
}

/** Run `t.checkCmd` on a copy of `contents` in a fresh temp dir (removed afterwards). */
export async function checkOnCopy(
  run: CommandRunner,
  spec: ResourceSpec,
  t: TemplateSpec & { readonly checkCmd: NonNullable<TemplateSpec['checkCmd']> },
  contents: string,
  opts: { signal?: AbortSignal; tempRoot?: string } = {},
): Promise<CopyCheck> {
  const dir = await mkdtemp(join(opts.tempRoot ?? tmpdir(), 'keyplate-check-'));
  try {
    const copy = join(dir, basename(t.dst));
    await writeFile(copy, contents, { mode: 0o600 });
    const result = await run(t.checkCmd, { vars: { src: copy, dst: t.dst, name: spec.name }, timeoutMs: t.checkTimeoutMs, signal: opts.signal });
    if (succeeded(result)) return { template: t, result, ok: true };
    const shownAs = `${t.dst} (as rendered)`;
    const secret = t.mode !== undefined && (t.mode & 0o004) === 0;
    const cite = await citeCheckOutput(outputTail(result), { checked: copy, shownAs, templateSrc: t.src, rendered: contents, secret });
    const message = [`${t.dst}: check_cmd (${result.command.split(copy).join('{{.src}}')}) ${describeOutcome(result, t.checkTimeoutMs)}`, ...cite.lines, cite.output]
      .filter(Boolean)
      .join('\n');
    return { template: t, result, ok: false, message };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
