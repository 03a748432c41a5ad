/**
 * A small file (the guard's state, a rejected render's note) written whole or not at all: a temp
 * file beside it, renamed over it.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Write a small file beside its final place and rename it there (never a half-written `path`),
 * with exactly `mode`; the temp file (`.<name>.<hex>`) is removed when anything fails.
 */
export async function writeFileAtomic(path: string, contents: string | Buffer, mode: number, signal?: AbortSignal): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}`);
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(contents, { signal });
      await fh.chmod(mode);
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
