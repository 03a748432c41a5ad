/** Content revisions for backends without a native one (env, file): a short sha256 of the pairs. */
import { createHash } from 'node:crypto';

export function contentRevision(values: ReadonlyMap<string, string>): string {
  const h = createHash('sha256');
  for (const k of [...values.keys()].sort()) h.update(k).update('\0').update(values.get(k)!).update('\0');
  return h.digest('hex').slice(0, 16);
}
