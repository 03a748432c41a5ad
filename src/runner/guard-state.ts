/**
 * What the data guard needs across restarts: the key count of every read prefix at the last
 * install, in `<dst>.keyplate-state` beside the resource's first destination (JSON, mode 0600,
 * written atomically: a temp file renamed into place). Counts and prefixes only, never a key or a
 * value. It is ignored when the destination does not exist (nothing installed to protect).
 */
import { access, readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.ts';
import { writeFileAtomic } from '../pipeline/atomic-write.ts';

/** Key counts per `<backend> <prefix>` at the last install. */
export type GuardCounts = Readonly<Record<string, number>>;

export interface GuardStateStore {
  /** Counts of the installed files; undefined when none are known. */
  load(signal?: AbortSignal): Promise<GuardCounts | undefined>;
  save(counts: GuardCounts, signal?: AbortSignal): Promise<void>;
}

export const STATE_SUFFIX = '.keyplate-state';

/** The state file of a resource whose first destination is `dst`. */
export function guardStatePath(dst: string): string {
  return `${dst}${STATE_SUFFIX}`;
}

interface StateFile {
  readonly version: 1;
  readonly resource: string;
  /** `<backend> <prefix>` → keys at the last install. */
  readonly prefixes: Record<string, number>;
}

function parse(text: string): GuardCounts | undefined {
  const v = JSON.parse(text) as Partial<StateFile>;
  if (v?.version !== 1 || typeof v.prefixes !== 'object' || v.prefixes === null) return undefined;
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v.prefixes)) if (Number.isInteger(n) && n >= 0) out[k] = n;
  return out;
}

export function fileGuardState(resource: string, dst: string, logger: Logger): GuardStateStore {
  const path = guardStatePath(dst);
  let last = '';
  return {
    async load() {
      try {
        await access(dst);
      } catch {
        return undefined;
      }
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch {
        return undefined;
      }
      try {
        last = text;
        return parse(text);
      } catch (e) {
        logger.warn({ event: 'guard-state-unreadable', path, err: errorMessage(e) }, `data guard state ${path} is unreadable; ignored`);
        return undefined;
      }
    },
    async save(counts, signal) {
      const state: StateFile = { version: 1, resource, prefixes: { ...counts } };
      const text = `${JSON.stringify(state, null, 2)}\n`;
      if (text === last) return;
      try {
        await writeFileAtomic(path, text, 0o600, signal);
        last = text;
      } catch (e) {
        logger.warn({ event: 'guard-state-unwritable', path, err: errorMessage(e) }, `cannot write the data guard state ${path}; after a restart the guard has no baseline`);
      }
    },
  };
}

/** No persistence (tests, resources without a destination). */
export const memoryGuardState = (): GuardStateStore => {
  let counts: GuardCounts | undefined;
  return {
    load: async () => counts,
    save: async (c) => {
      counts = { ...c };
    },
  };
};
