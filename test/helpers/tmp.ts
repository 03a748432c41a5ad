/** Temp directories that remove themselves: never a fixed /tmp path in a test. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh temp dir, removed when the test (or suite) ends. */
export async function tempDir(t: Pick<TestContext, 'after'>, label = 'keyplate'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${label}-`));
  t.after(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  return dir;
}
