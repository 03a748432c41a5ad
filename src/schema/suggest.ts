/** "Did you mean …?" for unknown keys and backend kinds. */

/** Optimal string alignment distance: edits, with a swap of two neighbours counting as one. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The closest candidate to `word`, or undefined if none is close enough. `synonyms` maps names
 * other tools use (`dest`, `perms`) to our key, and wins over spelling distance.
 */
export function closest(
  word: string,
  candidates: readonly string[],
  synonyms: ReadonlyMap<string, string> = new Map(),
): string | undefined {
  const lower = word.toLowerCase();
  const exact = candidates.find((c) => c.toLowerCase() === lower);
  if (exact) return exact;
  const synonym = synonyms.get(word) ?? synonyms.get(lower);
  if (synonym) return synonym;
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase());
    if (d < bestScore) {
      best = c;
      bestScore = d;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return bestScore <= limit ? best : undefined;
}

export function didYouMean(word: string, candidates: readonly string[], synonyms?: ReadonlyMap<string, string>): string {
  const hit = closest(word, candidates, synonyms);
  return hit === undefined ? '' : `; did you mean "${hit}"?`;
}
