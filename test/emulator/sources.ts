/**
 * Where the emulator's trees come from: a World (rendered per version, like the Rancher 1.2+
 * generator) or a static answers file in rancher-metadata's old format
 * `{ "<version>": { "default": {...}, "<caller ip>": { "self": {...} } } }`, where a caller's tree is
 * `default` with its own entry merged over it.
 */
import { API_VERSIONS, renderTree, resolveVersion } from './answers.ts';
import type { World } from './world.ts';

export type Tree = Record<string, unknown>;
export type AnswersFile = Record<string, Record<string, Tree>>;

export interface AnswerSource {
  /** Versions listed at `/` (including `latest`). */
  versions(): string[];
  /** The tree `caller` sees under `version`; undefined = unknown version. */
  tree(version: string, caller: string, revision: string): Tree | undefined;
}

export function worldSource(world: () => World): AnswerSource {
  return {
    versions: () => [...API_VERSIONS, 'latest'],
    tree(version, caller, revision) {
      const v = resolveVersion(version);
      return v === undefined ? undefined : renderTree(world(), v, revision, caller);
    },
  };
}

export function answersFileSource(answers: () => AnswersFile): AnswerSource {
  return {
    versions() {
      const keys = Object.keys(answers());
      return keys.includes('latest') ? keys.sort() : [...keys.sort(), 'latest'];
    },
    tree(version, caller, revision) {
      const all = answers();
      const keys = Object.keys(all).sort();
      // Without an explicit `latest`, the ASCII-highest version is served under it.
      const key = version === 'latest' && !Object.hasOwn(all, 'latest') ? keys.at(-1) : version;
      if (key === undefined || !Object.hasOwn(all, key)) return undefined;
      const clients = all[key];
      const merged: Tree = { ...clients.default, ...(Object.hasOwn(clients, caller) ? clients[caller] : {}) };
      if (!('version' in merged)) merged.version = revision;
      return merged;
    },
  };
}

/** True when a parsed JSON file looks like an answers file (top-level keys are versions). */
export function isAnswersFile(data: unknown): data is AnswersFile {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return false;
  const keys = Object.keys(data);
  return keys.length > 0 && keys.every((k) => k === 'latest' || /^\d{4}-\d{2}-\d{2}$/.test(k));
}
