/** Keep only the pairs under the requested prefixes (segment-boundary aware). */
import { isUnder, type KeyPath } from '../tree/keys.ts';

export function selectPrefixes(all: ReadonlyMap<KeyPath, string>, prefixes: readonly KeyPath[]): Map<KeyPath, string> {
  const out = new Map<KeyPath, string>();
  for (const [k, v] of all) if (prefixes.some((p) => isUnder(k, p))) out.set(k, v);
  return out;
}
