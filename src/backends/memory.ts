/**
 * An in-memory backend: values from the config (`[resource.backend.memory] values = {...}`) or
 * set at run time by tests. It watches losslessly with deltas and a monotonic revision, so it is
 * also the reference implementation of the watch contract.
 */
import { isUnder, normalizeKey, type KeyPath } from '../tree/keys.ts';
import { child, failAt, typeName } from '../schema/document.ts';
import type { Backend, BackendDefinition, KeyChange, WatchEvent } from './contract.ts';

export interface MemoryBackend extends Backend {
  set(key: string, value: string): void;
  delete(key: string): void;
}

export function createMemoryBackend(name: string, initial: Readonly<Record<string, string>> = {}): MemoryBackend {
  const data = new Map<KeyPath, string>();
  for (const [k, v] of Object.entries(initial)) data.set(normalizeKey(k), String(v));
  let revision = 1;
  const log: Array<{ revision: number; change: KeyChange }> = [];
  const listeners = new Set<{ prefixes: readonly KeyPath[]; onEvent: (e: WatchEvent) => void }>();
  const emit = (change: KeyChange) => {
    revision++;
    log.push({ revision, change });
    for (const l of listeners) {
      if (l.prefixes.some((p) => isUnder(change.key, p))) {
        l.onEvent({ type: 'change', revision: String(revision), changes: [change] });
      }
    }
  };
  return {
    name,
    kind: 'memory',
    async getValues(prefixes) {
      const values = new Map<KeyPath, string>();
      for (const [k, v] of data) if (prefixes.some((p) => isUnder(k, p))) values.set(k, v);
      return { values, revision: String(revision) };
    },
    async watch(prefixes, onEvent, opts) {
      const since = Number(opts?.since ?? revision);
      const l = { prefixes, onEvent };
      const missed = log.filter((e) => e.revision > since && prefixes.some((p) => isUnder(e.change.key, p)));
      for (const m of missed) onEvent({ type: 'change', revision: String(m.revision), changes: [m.change] });
      listeners.add(l);
      const stop = async () => void listeners.delete(l);
      opts?.signal?.addEventListener('abort', () => void stop(), { once: true });
      return stop;
    },
    set(key, value) {
      const k = normalizeKey(key);
      data.set(k, value);
      emit({ key: k, value });
    },
    delete(key) {
      const k = normalizeKey(key);
      if (data.delete(k)) emit({ key: k });
    },
    async close() {
      listeners.clear();
    },
  };
}

export const memoryBackend: BackendDefinition<{ readonly values: Readonly<Record<string, string>> }> = {
  kind: 'memory',
  description: 'Values written in the config itself (`values = { "/a/b" = "x" }`); handy for tests and defaults.',
  options: {
    title: '[resource.backend.memory]',
    keys: { values: { type: 'table', description: 'A table of key = value pairs (keys are paths, values strings).' } },
  },
  finish(values, at) {
    const table = (values.values ?? {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(table)) if (typeof v !== 'string') throw failAt(child(at, 'values', k), `expected a string value, got ${typeName(v)}`);
    return { values: table as Record<string, string> };
  },
  create(name, options) {
    return createMemoryBackend(name, options.values);
  },
};
