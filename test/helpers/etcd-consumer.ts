/**
 * A watch consumer for backend tests: applies 'change' deltas to a MemoryTree the way the runner
 * does, re-reads on 'resync', records every event, and can be compared with a fresh read.
 */
import type { Backend, KeyChange, WatchEvent } from '../../src/backends/contract.ts';
import type { KeyPath } from '../../src/tree/keys.ts';
import { MemoryTree } from '../../src/tree/tree.ts';
import { waitFor } from './wait.ts';

export class TreeConsumer {
  readonly tree: MemoryTree;
  readonly events: WatchEvent[] = [];
  /** Every delivered change with the revision of its batch. */
  readonly applied: Array<{ readonly revision?: string; readonly change: KeyChange }> = [];
  #resyncs: Promise<void> = Promise.resolve();

  constructor(
    private readonly backend: Backend,
    private readonly prefixes: readonly KeyPath[],
    initial: ReadonlyMap<KeyPath, string> = new Map(),
  ) {
    this.tree = new MemoryTree(initial);
  }

  readonly onEvent = (e: WatchEvent): void => {
    this.events.push(e);
    if (e.type === 'change') {
      for (const c of e.changes ?? []) {
        this.applied.push({ revision: e.revision, change: c });
        applyChange(this.tree, c);
      }
    } else if (e.type === 'resync') {
      // Re-read everything (the runner's reaction); later deltas apply on top of it.
      this.#resyncs = this.#resyncs.then(async () => {
        const snap = await this.backend.getValues(this.prefixes);
        this.tree.clear();
        for (const [k, v] of snap.values) this.tree.set(k, v);
      });
    }
  };

  count(type: WatchEvent['type']): number {
    return this.events.filter((e) => e.type === type).length;
  }

  async settled(): Promise<void> {
    await this.#resyncs;
  }

  /** True when the tree equals a fresh read of the prefixes. */
  async matchesFreshRead(): Promise<boolean> {
    await this.settled();
    const fresh = await this.backend.getValues(this.prefixes);
    return sameMap(this.tree.toMap(), fresh.values);
  }
}

export function applyChange(tree: MemoryTree, c: KeyChange): void {
  if (c.value !== undefined) tree.set(c.key, c.value);
  else if (c.recursive) tree.deleteTree(c.key);
  else tree.delete(c.key);
}

export function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

export function diffMaps(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): string {
  const out: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) out.push(`${k}: ${v} vs ${b.get(k) ?? '<absent>'}`);
  for (const [k, v] of b) if (!a.has(k)) out.push(`${k}: <absent> vs ${v}`);
  return out.slice(0, 10).join('; ');
}

/** Wait until the consumer's watched tree equals a fresh read; on timeout, say what differs. */
export async function converged(c: TreeConsumer, b: Backend, prefixes: readonly KeyPath[], timeoutMs = 15_000): Promise<void> {
  await waitFor(() => c.matchesFreshRead(), { timeoutMs, message: 'watched tree to equal a fresh read' }).catch(async (e) => {
    const fresh = await b.getValues(prefixes);
    throw new Error(`${(e as Error).message}; diff: ${diffMaps(c.tree.toMap(), fresh.values)}`);
  });
}
