/**
 * Reading Redis as a key tree, as remco and confd read it: a string key is one value, a hash key
 * one value per field (`<key>/<field>`), other types are skipped. Keys are found with `SCAN`
 * (never `KEYS`, which blocks the server); their values are then read by one Lua script per
 * 1,000 keys, so each batch is one atomic point in time. What `SCAN` guarantees: a key present
 * for the whole scan is returned; one created or deleted during it may or may not be. A watch
 * armed before the read (or the `since` check after it) reports such a key.
 */
import { isUnder, type KeyPath } from '../../tree/keys.ts';
import type { RedisConnection } from './client.ts';
import { fromRedisKey, prefixPatterns } from './options.ts';

/** For each key: its type and, for a string its value, for a hash its fields and values flattened. */
const READ_SCRIPT = `
local out = {}
for i, k in ipairs(KEYS) do
  local t = redis.call('TYPE', k)['ok']
  if t == 'string' then out[i] = { t, redis.call('GET', k) }
  elseif t == 'hash' then out[i] = { t, redis.call('HGETALL', k) }
  else out[i] = { t } end
end
return out`;

const BATCH = 1_000;

/** Drop prefixes covered by another one, so no key is scanned twice. */
export function outermost(prefixes: readonly KeyPath[]): KeyPath[] {
  const unique = [...new Set(prefixes)];
  return unique.filter((p) => !unique.some((q) => q !== p && isUnder(p, q)));
}

export type KeyRead =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'hash'; readonly fields: ReadonlyMap<string, string> }
  | { readonly type: 'none' | 'other' };

export async function scanNames(conn: RedisConnection, prefixes: readonly KeyPath[], separator: string): Promise<string[]> {
  const names = new Set<string>();
  for (const p of outermost(prefixes)) {
    const { exact, below } = prefixPatterns(p, separator);
    if (exact !== undefined) names.add(exact);
    let cursor = '0';
    do {
      const [next, keys] = (await conn.command(['SCAN', cursor, 'MATCH', below, 'COUNT', String(BATCH)])) as [string, string[]];
      for (const k of keys) names.add(k);
      cursor = String(next);
    } while (cursor !== '0');
  }
  return [...names];
}

export async function readKeys(conn: RedisConnection, names: readonly string[]): Promise<KeyRead[]> {
  const out: KeyRead[] = [];
  for (let i = 0; i < names.length; i += BATCH) {
    const batch = names.slice(i, i + BATCH);
    const reply = (await conn.command(['EVAL', READ_SCRIPT, String(batch.length), ...batch])) as Array<[string, unknown?]>;
    for (const [type, value] of reply) {
      if (type === 'string') out.push({ type, value: String(value) });
      else if (type === 'hash') out.push({ type, fields: pairs(value as string[]) });
      else out.push({ type: type === 'none' ? 'none' : 'other' });
    }
  }
  return out;
}

function pairs(flat: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i], flat[i + 1]);
  return m;
}

/** The keys and values a read contributes, limited to `prefixes`; `hashes` collects the hash keys seen. */
export function toValues(
  names: readonly string[],
  reads: readonly KeyRead[],
  prefixes: readonly KeyPath[],
  separator: string,
  hashes: Set<string>,
): Map<KeyPath, string> {
  const values = new Map<KeyPath, string>();
  const put = (name: string, v: string) => {
    const key = fromRedisKey(name, separator);
    if (prefixes.some((p) => isUnder(key, p))) values.set(key, v);
  };
  names.forEach((name, i) => {
    const r = reads[i];
    if (r.type === 'string') put(name, r.value);
    else if (r.type === 'hash') {
      hashes.add(name);
      for (const [field, v] of r.fields) put(`${name}${separator}${field}`, v);
    }
  });
  return values;
}
