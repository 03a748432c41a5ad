/**
 * Errors that point at something an operator can open. A render check_cmd rejected is kept at
 * `<dst>.rejected` (replaced on each rejection, removed once a render passes); the checker's
 * output cites that file instead of the stage file (already deleted), and each line it names is
 * shown with the template file:line that most likely produced it.
 */
import { unlink } from 'node:fs/promises';
import type { TemplateSpec } from '../config/types.ts';
import { errorMessage } from '../errors.ts';
import { describeOutcome, outputTail, type CommandResult } from '../exec/run.ts';
import { mapRenderedLine, readTemplateFiles } from '../template/deps.ts';
import { writeFileAtomic } from './atomic-write.ts';
import type { StagedFile } from './files.ts';

export const REJECTED_SUFFIX = '.rejected';

export function rejectedPath(dst: string): string {
  return `${dst}${REJECTED_SUFFIX}`;
}

/** 0600 unless the destination is readable by everyone: a rejected secret stays secret. */
export function rejectedMode(dstMode: number): number {
  return dstMode & 0o004 ? 0o644 : 0o600;
}

/** Write `contents` to `<dst>.rejected` atomically (temp file + rename) with `rejectedMode`. */
export async function keepRejected(dst: string, contents: Buffer, dstMode: number): Promise<string> {
  const path = rejectedPath(dst);
  await writeFileAtomic(path, contents, rejectedMode(dstMode));
  return path;
}

/** Remove `<dst>.rejected` (a render passed). Never throws. */
export async function clearRejected(dst: string): Promise<void> {
  await unlink(rejectedPath(dst)).catch(() => undefined);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Line numbers the output names for `file` (`file:12`, `[file:12]`, `file line 12`), in order. */
export function citedLines(output: string, file: string): number[] {
  const re = new RegExp(`${escapeRe(file)}(?::|,? line )(\\d+)`, 'g');
  const lines: number[] = [];
  for (const m of output.matchAll(re)) {
    const n = Number(m[1]);
    if (!lines.includes(n)) lines.push(n);
  }
  return lines;
}

export interface Citation {
  /** The checker's output with the checked path replaced by `shownAs`. */
  readonly output: string;
  /** One line per cited line: `<shownAs>:N: <rendered text>  (from <template>:M)` (no text for a secret). */
  readonly lines: readonly string[];
}

/**
 * Rewrite the checker's output to cite `shownAs` instead of the checked (temporary) path, and
 * describe each line it names, mapped back to the template (and its includes) where possible.
 */
export async function citeCheckOutput(
  output: string,
  at: { checked: string; shownAs: string; templateSrc: string; rendered: string; secret: boolean },
): Promise<Citation> {
  const { checked, shownAs, rendered } = at;
  const text = output.split(checked).join(shownAs);
  const numbers = citedLines(text, shownAs).slice(0, 5);
  if (numbers.length === 0) return { output: text, lines: [] };
  const { files } = await readTemplateFiles(at.templateSrc);
  const renderedLines = rendered.split('\n');
  const lines = numbers.map((n) => {
    const line = renderedLines[n - 1];
    if (line === undefined) return `${shownAs}:${n}`;
    const from = mapRenderedLine(files, line);
    const shown = at.secret ? '' : ` ${line.trim().slice(0, 200)}`; // a secret file's lines never reach a log
    return `${shownAs}:${n}:${shown}${from ? `  (from ${from.file}:${from.line})` : ''}`;
  });
  return { output: text, lines };
}

/** Keep the rejected render at `<dst>.rejected` and cite it (and the template lines) in the message. */
export async function rejectionMessage(t: TemplateSpec, staged: StagedFile, result: CommandResult): Promise<string> {
  const head = `${t.dst}: check_cmd (${result.command}) ${describeOutcome(result, t.checkTimeoutMs)}; destination left untouched`;
  if (result.exitCode === null) {
    // killed or timed out: no verdict on the render, nothing to keep
    const tail = outputTail(result);
    return `${head}${tail ? `\n${tail}` : ''}`;
  }
  let kept: string;
  try {
    kept = await keepRejected(t.dst, staged.contents, staged.fingerprint.mode);
  } catch (e) {
    const tail = outputTail(result);
    return `${head} (the rejected render could not be kept: ${errorMessage(e)})${tail ? `\n${tail}` : ''}`;
  }
  const secret = (staged.fingerprint.mode & 0o004) === 0;
  const cite = await citeCheckOutput(outputTail(result), { checked: staged.path, shownAs: kept, templateSrc: t.src, rendered: staged.contents.toString('utf8'), secret });
  const message = [`${head}; the rejected render is kept at ${kept}`, ...cite.lines, cite.output].filter(Boolean).join('\n');
  return message.split(staged.path).join(kept); // the stage file is deleted: never cite it
}
