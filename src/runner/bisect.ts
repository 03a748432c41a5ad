/**
 * Finds the keys whose change makes a render refused. `delta` holds the keys that differ between
 * the last good tree and the refused one; `accepts(S)` says whether the last good tree with only
 * the changes of S applied passes every check (on temp copies). The search:
 *
 * 1. reproduce: `accepts(delta)` must be false, else the refusal was not about the data (a
 *    timeout, a reload that failed for another reason) and there is nothing to quarantine;
 * 2. suspects named by the error (a render refusing a multi-line value names its key): if
 *    `accepts(delta − suspects)`, they are the culprits (one check);
 * 3. otherwise a binary search finds one culprit c: halve the candidates, keep the half whose
 *    changes (on top of the halves already known good) are refused (⌈log2 n⌉ checks);
 * 4. verify: `accepts(delta − culprits)`; if it is still refused, search the rest again.
 *
 * One culprit costs ⌈log2 n⌉ + 2 checks. Every check is taken from `budget`; when it runs out
 * the search gives up (returns `exhausted`).
 */

export type BisectOutcome =
  | { readonly kind: 'found'; readonly culprits: readonly string[]; readonly reasons: ReadonlyMap<string, string>; readonly checks: number }
  | { readonly kind: 'not-reproduced'; readonly checks: number }
  | { readonly kind: 'exhausted'; readonly culprits: readonly string[]; readonly checks: number };

/** One check: resolves to undefined when accepted, else the checker's message. Throws to abort. */
export type AcceptsFn = (applied: ReadonlySet<string>) => Promise<string | undefined>;

export interface BisectInput {
  readonly delta: readonly string[];
  readonly suspects?: readonly string[];
  readonly accepts: AcceptsFn;
  /** Takes one check from the budget; false when none is left. */
  readonly take: () => boolean;
}

export function checksFor(n: number): number {
  return Math.ceil(Math.log2(Math.max(1, n))) + 2;
}

export async function bisect(input: BisectInput): Promise<BisectOutcome> {
  let checks = 0;
  const reasons = new Map<string, string>();
  const culprits: string[] = [];
  /** Undefined: accepted; a string: refused with that message; null: out of budget. */
  const check = async (applied: readonly string[]): Promise<string | undefined | null> => {
    if (!input.take()) return null;
    checks++;
    const msg = await input.accepts(new Set(applied));
    if (msg !== undefined) for (const k of applied) reasons.set(k, msg);
    return msg;
  };
  const without = (drop: readonly string[]) => {
    const d = new Set(drop);
    return input.delta.filter((k) => !d.has(k));
  };

  const first = await check(input.delta);
  if (first === null) return { kind: 'exhausted', culprits, checks };
  if (first === undefined) return { kind: 'not-reproduced', checks };

  const suspects = (input.suspects ?? []).filter((k) => input.delta.includes(k));
  if (suspects.length > 0) {
    const r = await check(without(suspects));
    if (r === null) return { kind: 'exhausted', culprits, checks };
    if (r === undefined) return { kind: 'found', culprits: suspects, reasons, checks };
  }

  let rest = input.delta.slice();
  for (;;) {
    // binary search for one culprit among `rest` (the changes in `base` are known to pass)
    let base: string[] = [];
    let cands = rest;
    while (cands.length > 1) {
      const half = cands.slice(0, Math.ceil(cands.length / 2));
      const r = await check([...base, ...half]);
      if (r === null) return { kind: 'exhausted', culprits, checks };
      if (r !== undefined) cands = half;
      else {
        base = [...base, ...half];
        cands = cands.slice(half.length);
      }
    }
    if (cands.length === 0) return { kind: 'exhausted', culprits, checks };
    culprits.push(cands[0]);
    rest = without(culprits);
    const v = await check(rest);
    if (v === null) return { kind: 'exhausted', culprits, checks };
    if (v === undefined) return { kind: 'found', culprits, reasons, checks };
  }
}
