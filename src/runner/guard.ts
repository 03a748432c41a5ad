/**
 * Data guards: a backend that answers "nothing" during a failover must not empty a config.
 * Before a render is installed, each read prefix is compared with what the last installed render
 * had: a prefix that had keys and is now empty is refused (unless `guard_empty = false`), and so
 * is a shrink by more than `max_shrink` of the keys at once. A refused render changes nothing; a
 * later render that passes installs normally.
 */
import { ResourceError } from '../errors.ts';
import { stripPrefix } from '../tree/keys.ts';
import type { Feed } from './feed.ts';

export interface GuardSpec {
  /** Refuse a prefix that had keys and is now empty. */
  readonly refuseEmpty: boolean;
  /** Largest accepted drop, as a fraction of the keys (1 = any shrink is fine). */
  readonly maxShrink: number;
}

export const DEFAULT_GUARD: GuardSpec = { refuseEmpty: true, maxShrink: 1 };

/** A data guard refused a render: `reason` says which guard, `prefix` and `backend` where. */
export class GuardError extends ResourceError {
  readonly reason: 'empty' | 'shrink';
  readonly backend: string;
  readonly prefix: string;
  constructor(resource: string, g: { reason: 'empty' | 'shrink'; backend: string; prefix: string }, message: string) {
    super(resource, 'guard', message);
    this.reason = g.reason;
    this.backend = g.backend;
    this.prefix = g.prefix;
  }
}

export class DataGuard {
  readonly #spec: GuardSpec;
  /** `<backend> <prefix>` → keys at the last successful install. */
  #lastGood = new Map<string, number>();

  constructor(spec: GuardSpec = DEFAULT_GUARD) {
    this.#spec = spec;
  }

  #counts(sources: readonly Feed[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const s of sources) {
      for (const p of s.readPrefixes) out.set(`${s.backend.name} ${p}`, s.tree.countUnder(stripPrefix(p, s.spec.prefix)));
    }
    return out;
  }

  /** Throws a GuardError when the current trees must not be installed. */
  check(resource: string, sources: readonly Feed[]): void {
    for (const [id, now] of this.#counts(sources)) {
      const before = this.#lastGood.get(id) ?? 0;
      if (before === 0 || now >= before) continue;
      const [backend, prefix] = id.split(' ');
      if (now === 0 && this.#spec.refuseEmpty) {
        throw new GuardError(resource, { reason: 'empty', backend, prefix }, `${prefix} on ${backend} is empty but had ${before} keys; refusing to install (guard_empty); the last good config stays`);
      }
      const drop = (before - now) / before;
      if (drop > this.#spec.maxShrink) {
        const pct = (x: number) => `${Math.round(x * 100)}%`;
        throw new GuardError(resource, { reason: 'shrink', backend, prefix }, `${prefix} on ${backend} shrank from ${before} to ${now} keys (${pct(drop)} > max_shrink ${pct(this.#spec.maxShrink)}); refusing to install; the last good config stays`);
      }
    }
  }

  /** The render was installed (or found in sync): these counts are the new baseline. */
  accept(sources: readonly Feed[]): void {
    this.#lastGood = this.#counts(sources);
  }
}
