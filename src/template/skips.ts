/**
 * Values a template refused, with the reason: what `skip(reason, item)` and the validating
 * functions (haproxyServer, haproxyName, hostName) record. A resource's skips are those of its
 * latest render: a render with a new tree starts a new generation, and every template of one pass
 * (and every DNS pass of one template) adds to the same one, deduplicated by item and reason.
 * A skip that was not in the previous generation is "new": `onNew` fires once for it (one log
 * line per new skip, not one per render).
 */

export interface Skip {
  readonly resource: string;
  /** What was refused: a key (`/services/web/docker1:web.1:80`), a container, a host. */
  readonly item: string;
  /** A short, fixed reason (`bad address`, `udp port`): the label of `keyplate_skipped_items`. */
  readonly reason: string;
  /** The details: the offending value, what is accepted. */
  readonly detail?: string;
  /** Epoch ms of the render that first refused it (kept while it stays refused). */
  readonly since: number;
}

/** Records the skips of one render (bound to its resource and tree). */
export type SkipRecorder = (reason: string, item: string, detail?: string) => void;

export interface SkipLedgerOptions {
  /** Called once per skip that the previous render of its resource did not have. */
  readonly onNew?: (skip: Skip) => void;
  readonly now?: () => number;
}

interface Generation {
  readonly tree: object;
  readonly items: Map<string, Skip>;
}

const MAX_PER_RESOURCE = 1000;

function idOf(item: string, reason: string): string {
  return `${reason}\u0000${item}`;
}

export class SkipLedger {
  readonly #byResource = new Map<string, { current: Generation; previous: Map<string, Skip> }>();
  readonly #opts: SkipLedgerOptions;

  constructor(opts: SkipLedgerOptions = {}) {
    this.#opts = opts;
  }

  /** The recorder for one render of `resource` over `tree`: a new tree starts a new generation. */
  begin(resource: string, tree: object): SkipRecorder {
    let entry = this.#byResource.get(resource);
    if (!entry) {
      entry = { current: { tree, items: new Map() }, previous: new Map() };
      this.#byResource.set(resource, entry);
    } else if (entry.current.tree !== tree) {
      entry.previous = entry.current.items;
      entry.current = { tree, items: new Map() };
    }
    const gen = entry.current;
    const prev = () => this.#byResource.get(resource)?.previous ?? new Map<string, Skip>();
    return (reason, item, detail) => {
      const r = oneLine(reason, 60) || 'skipped';
      const i = oneLine(item, 200);
      const id = idOf(i, r);
      if (gen.items.has(id) || gen.items.size >= MAX_PER_RESOURCE) return;
      const before = prev().get(id);
      const skip: Skip = { resource, item: i, reason: r, ...(detail ? { detail: oneLine(detail, 300) } : {}), since: before?.since ?? (this.#opts.now ?? Date.now)() };
      gen.items.set(id, skip);
      if (!before) this.#opts.onNew?.(skip);
    };
  }

  /** The skips of the latest render of each resource (or of one), sorted by resource, reason, item. */
  list(resource?: string): Skip[] {
    const out: Skip[] = [];
    for (const [name, e] of this.#byResource) if (resource === undefined || name === resource) out.push(...e.current.items.values());
    return out.sort((a, b) => cmp(a.resource, b.resource) || cmp(a.reason, b.reason) || cmp(a.item, b.item));
  }

  /** Counts by resource and reason (for the `keyplate_skipped_items` gauge). */
  counts(): Array<{ resource: string; reason: string; count: number }> {
    const m = new Map<string, { resource: string; reason: string; count: number }>();
    for (const s of this.list()) {
      const k = `${s.resource}\u0000${s.reason}`;
      const c = m.get(k) ?? { resource: s.resource, reason: s.reason, count: 0 };
      c.count++;
      m.set(k, c);
    }
    return [...m.values()];
  }

  /** Forget a resource (removed by a config reload). */
  forget(resource: string): void {
    this.#byResource.delete(resource);
  }
}

/** Control characters shown as escapes, and capped: an item or reason is one readable line. */
export function oneLine(text: unknown, max: number): string {
  const s = String(text ?? '').replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
