/**
 * Data guards: a backend that answers "nothing" during a failover must not empty a config, while
 * a prefix that is really emptied must not freeze the resource. A delete delivered by a healthy,
 * continuous watch is data and applies. Only what a snapshot brought (a first read, a resync after
 * compaction or a reconnect, an interval or poll read, a re-read of a backend that sends no deltas
 * such as Rancher) is questioned: a read prefix the snapshot changed and which is now empty
 * (`guard_empty`) or has lost more than `max_shrink` of the keys it had at the last install is
 * **held**: the render uses its last good values while every other prefix applies. The hold ends
 * when the prefix passes again (its keys come back, through the watch or a later read).
 *
 * The baseline is the last install; at start (and for `run --onetime`) it is the key counts
 * persisted beside the destination (guard-state.ts). A prefix held then has no last good values
 * in memory, so the whole render is refused (GuardError) and the installed files stay, unless
 * `allowEmpty` (`run --allow-empty`) accepts the first read as it is.
 */
import type { Logger } from 'pino';
import { ResourceError } from '../errors.ts';
import type { Clock } from '../schedule/schedule.ts';
import type { KeyTree } from '../tree/key-tree.ts';
import { isUnder, stripPrefix, type KeyPath } from '../tree/keys.ts';
import { TreeMirror } from '../tree/mirror.ts';
import type { Feed } from './feed.ts';
import { memoryGuardState, type GuardCounts, type GuardStateStore } from './guard-state.ts';

export interface GuardSpec {
  /** Hold a prefix a snapshot emptied when it had keys. */
  readonly refuseEmpty: boolean;
  /** Largest accepted drop a snapshot may bring, as a fraction of the keys (1 = any shrink is fine). */
  readonly maxShrink: number;
}

export const DEFAULT_GUARD: GuardSpec = { refuseEmpty: true, maxShrink: 1 };

export type GuardReason = 'empty' | 'shrink';

/** A data guard refused a render: `reason` says which guard, `prefix` and `backend` where. */
export class GuardError extends ResourceError {
  readonly reason: GuardReason;
  readonly backend: string;
  readonly prefix: string;
  constructor(resource: string, g: { reason: GuardReason; backend: string; prefix: string }, message: string) {
    super(resource, 'guard', message);
    this.reason = g.reason;
    this.backend = g.backend;
    this.prefix = g.prefix;
  }
}

/** A prefix the guard holds at its last good values (status, /healthz, the status page). */
export interface GuardHold {
  readonly backend: string;
  readonly prefix: string;
  readonly reason: GuardReason;
  /** For people: what the snapshot brought and what is kept. */
  readonly message: string;
  /** Keys at the last install, and now. */
  readonly before: number;
  readonly now: number;
  readonly since: number;
}

export type { GuardCounts };

/** What one pass renders: each feed's tree with held prefixes at their last good values. */
export interface GuardView {
  readonly trees: readonly KeyTree[];
  /** Holds that began in this pass (for the refusal counter). */
  readonly started: readonly GuardHold[];
}

export interface GuardOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Accept the first pass's data without comparing (run --allow-empty). */
  readonly allowEmpty?: boolean;
  /** Where the baseline survives a restart (default: in memory only). */
  readonly state?: GuardStateStore;
}

interface Good {
  readonly count: number;
  /** Feed.snapshotMark at the install. */
  readonly mark: number;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

export class DataGuard {
  readonly #spec: GuardSpec;
  readonly #o: GuardOptions;
  /** `<backend> <prefix>` → count and snapshot mark at the last install (in this process). */
  #good = new Map<string, Good>();
  /** Per feed (by backend name): every value of the tree last installed (kept current per change; null: installed, values not kept). */
  readonly #values = new Map<string, TreeMirror | null>();
  /** Counts persisted by an earlier run (the baseline until the first install). */
  #persisted: GuardCounts | undefined;
  #restored = false;
  readonly #state: GuardStateStore;
  #holds = new Map<string, GuardHold>();

  constructor(spec: GuardSpec, opts: GuardOptions) {
    this.#spec = spec;
    this.#o = opts;
    this.#state = opts.state ?? memoryGuardState();
  }

  /** Read the counts of the installed files once, before the first pass (guard-state.ts). */
  async restore(signal?: AbortSignal): Promise<void> {
    if (this.#restored) return;
    this.#persisted = await this.#state.load(signal);
    this.#restored = true;
  }

  /** Write the baseline after an install (the store skips an unchanged one). */
  persist(sources: readonly Feed[], signal?: AbortSignal): Promise<void> {
    return this.#state.save(this.counts(sources), signal);
  }

  get installedOnce(): boolean {
    return this.#values.size > 0;
  }

  holds(): GuardHold[] {
    return [...this.#holds.values()];
  }

  /** Decide what each prefix renders; throws a GuardError when a prefix must be held but no good values are known. */
  view(resource: string, sources: readonly Feed[]): GuardView {
    const started: GuardHold[] = [];
    const trees = sources.map((s) => {
      const held: string[] = [];
      for (const p of s.readPrefixes) {
        const id = `${s.backend.name} ${p}`;
        const verdict = this.#judge(s, p, id);
        const was = this.#holds.get(id);
        if (!verdict) {
          if (was) this.#release(id, was, s.tree.countUnder(localOf(s, p)));
          continue;
        }
        // before any install in this process there are no good values to hold: refuse the render
        const refusing = !this.#values.has(s.backend.name);
        const message = refusing ? verdict.message.replace(/; holding .*$/, '; refusing to install: the installed files stay (run with --allow-empty to install it)') : verdict.message;
        const hold: GuardHold = { ...verdict, message, since: was?.since ?? this.#o.clock.now() };
        this.#holds.set(id, hold);
        if (!was) {
          if (!refusing) started.push(hold); // a refusal is counted as a failed cycle
          this.#o.logger.warn({ event: 'guard-held', backend: hold.backend, prefix: hold.prefix, reason: hold.reason, before: hold.before, now: hold.now }, message);
        }
        if (refusing) throw new GuardError(resource, hold, message);
        held.push(localOf(s, p));
      }
      return held.length === 0 ? s.tree : this.#heldTree(s, held);
    });
    return { trees, started };
  }

  /** The pass installed (or found in sync) the trees of `view`: they are the new last good state. */
  accept(sources: readonly Feed[], trees: readonly KeyTree[], opts: { keepValues?: boolean } = {}): void {
    sources.forEach((s, i) => {
      const t = trees[i];
      if (opts.keepValues === false) this.#values.set(s.backend.name, null); // no later pass holds anything
      else {
        let mirror = this.#values.get(s.backend.name);
        if (!mirror) this.#values.set(s.backend.name, (mirror = new TreeMirror()));
        mirror.sync(t);
      }
      for (const p of s.readPrefixes) {
        const id = `${s.backend.name} ${p}`;
        if (this.#holds.has(id)) continue; // keeps its baseline and its taint
        this.#good.set(id, { count: s.tree.countUnder(localOf(s, p)), mark: s.snapshotMark(p) });
      }
    });
  }

  /** Counts to persist: the baseline of every prefix (a held one keeps its old one). */
  counts(sources: readonly Feed[]): GuardCounts {
    const out: Record<string, number> = {};
    for (const s of sources) {
      for (const p of s.readPrefixes) {
        const id = `${s.backend.name} ${p}`;
        const c = this.#good.get(id)?.count ?? this.#persisted?.[id];
        if (c !== undefined) out[id] = c;
      }
    }
    return out;
  }

  #judge(s: Feed, p: KeyPath, id: string): Omit<GuardHold, 'since'> | undefined {
    const good = this.#good.get(id);
    if (!good && this.#o.allowEmpty) return undefined;
    if (s.snapshotMark(p) <= (good?.mark ?? 0)) return undefined; // only watch deltas since: data
    const before = good?.count ?? this.#persisted?.[id] ?? 0;
    const now = s.tree.countUnder(localOf(s, p));
    if (before === 0 || now >= before) return undefined;
    const backend = s.backend.name;
    const at = good ? 'at the last install' : 'when the installed files were written';
    if (now === 0 && this.#spec.refuseEmpty) {
      return { backend, prefix: p, reason: 'empty', before, now, message: `${p} on ${backend} is empty but had ${before} keys ${at} (guard_empty); holding its last good values` };
    }
    const drop = (before - now) / before;
    if (drop <= this.#spec.maxShrink) return undefined;
    return {
      backend, prefix: p, reason: 'shrink', before, now,
      message: `${p} on ${backend} shrank from ${before} to ${now} keys (${pct(drop)} > max_shrink ${pct(this.#spec.maxShrink)}); holding its last good values`,
    };
  }

  #release(id: string, was: GuardHold, now: number): void {
    this.#holds.delete(id);
    this.#o.logger.info({ event: 'guard-released', backend: was.backend, prefix: was.prefix, keys: now }, `${was.prefix} on ${was.backend} passes the data guard again (${now} keys): applied`);
  }

  /** The feed's tree with every held prefix replaced by its last good values. */
  #heldTree(s: Feed, held: readonly string[]): KeyTree {
    const t = s.tree.clone();
    for (const local of held) t.deleteTree(local);
    for (const [k, v] of this.#values.get(s.backend.name)?.values ?? []) if (held.some((h) => isUnder(k, h))) t.set(k, v);
    return t;
  }
}

function localOf(s: Feed, p: KeyPath): string {
  return isUnder(p, s.spec.prefix) ? stripPrefix(p, s.spec.prefix) : p;
}
