/**
 * Environment variables as keys, with confd's mapping: key `/a/b` ↔ variable `A_B`. A variable
 * belongs to a requested prefix when its name equals the prefix's name or continues it after an
 * `_` (so `/app` matches `APP_PORT` but, unlike confd, not `APPLE`). Keys come back lower-cased
 * with `_` turned into `/`: `MY_DB_HOST` → `/my/db/host`. Reads only the injected env map.
 */
import { normalizeKey, type KeyPath } from '../tree/keys.ts';
import { contentRevision } from './revision.ts';
import type { Backend, BackendDefinition } from './contract.ts';

export function keyToEnvName(key: string): string {
  return key.replace(/^\/+/, '').replaceAll('/', '_').toUpperCase();
}

export function envNameToKey(name: string): KeyPath {
  return normalizeKey(name.toLowerCase().replaceAll('_', '/'));
}

export const envBackend: BackendDefinition<Record<string, never>> = {
  kind: 'env',
  description: 'Environment variables (confd mapping /a/b <-> A_B). No watch: polled on `interval`.',
  options: { title: '[resource.backend.env]', keys: {} },
  finish: () => ({}),
  create(name, _options, ctx): Backend {
    return {
      name,
      kind: 'env',
      async getValues(prefixes) {
        const values = new Map<KeyPath, string>();
        for (const prefix of prefixes) {
          const envPrefix = keyToEnvName(prefix);
          for (const [k, v] of Object.entries(ctx.env)) {
            if (v === undefined) continue;
            const match = envPrefix === '' || k === envPrefix || k.startsWith(`${envPrefix}_`);
            if (match) values.set(envNameToKey(k), v);
          }
        }
        return { values, revision: contentRevision(values) };
      },
      async close() {},
    };
  },
};
