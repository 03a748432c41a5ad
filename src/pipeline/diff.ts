/** `keyplate render --diff`: a unified diff from a destination on disk to a new render. */
import { readFile } from 'node:fs/promises';

/**
 * A unified diff from the destination on disk to `newContents` (for `keyplate render --diff`).
 * An absent destination diffs from /dev/null; an unchanged one yields ''.
 */
export async function unifiedDiff(dest: string, newContents: string, label = dest): Promise<string> {
  let old: string | null;
  try {
    old = await readFile(dest, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    old = null;
  }
  if (old === newContents) return '';
  const { createTwoFilesPatch } = await import('diff'); // only `render --diff` needs it: not loaded at start-up
  return createTwoFilesPatch(old === null ? '/dev/null' : label, label, old ?? '', newContents, undefined, undefined, {
    context: 3,
  });
}
