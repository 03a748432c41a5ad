/**
 * Key paths: `/a/b`, always with a leading `/`, never a trailing `/` (except the root `/`), never `//`.
 * Every backend normalizes its keys with these helpers, so templates see one shape whatever the source.
 */

export type KeyPath = string & { readonly __brand: 'KeyPath' };

export const ROOT = '/' as KeyPath;

/** Normalize a raw key: collapse `//`, add the leading `/`, drop the trailing `/`. */
export function normalizeKey(raw: string): KeyPath {
  if (raw === '' || raw === '/') return ROOT;
  // Fast path: already normal.
  if (raw.charCodeAt(0) === 47 && raw.charCodeAt(raw.length - 1) !== 47 && !raw.includes('//')) {
    return raw as KeyPath;
  }
  const parts = raw.split('/').filter((p) => p !== '');
  return (parts.length === 0 ? '/' : `/${parts.join('/')}`) as KeyPath;
}

export function joinKey(...parts: readonly string[]): KeyPath {
  return normalizeKey(parts.join('/'));
}

/** True when `key` equals `prefix` or lies below it on a segment boundary (`/app` is not under `/application`). */
export function isUnder(key: string, prefix: string): boolean {
  if (prefix === '/' || prefix === '') return true;
  return key === prefix || (key.startsWith(prefix) && key.charCodeAt(prefix.length) === 47);
}

/** `stripPrefix('/p/a/b', '/p')` → `/a/b`. The key must be under the prefix. */
export function stripPrefix(key: string, prefix: string): KeyPath {
  if (prefix === '/' || prefix === '') return key as KeyPath;
  if (key === prefix) return ROOT;
  return key.slice(prefix.length) as KeyPath;
}

/** `addPrefix('/a', '/p')` → `/p/a`. */
export function addPrefix(key: string, prefix: string): KeyPath {
  if (prefix === '/' || prefix === '') return key as KeyPath;
  return (key === '/' ? prefix : prefix + key) as KeyPath;
}

/** Parent directory: `/a/b` → `/a`, `/a` → `/`. */
export function parentKey(key: string): KeyPath {
  const i = key.lastIndexOf('/');
  return (i <= 0 ? '/' : key.slice(0, i)) as KeyPath;
}

/** Last segment: `/a/b` → `b`, `/` → `/`. */
export function baseName(key: string): string {
  if (key === '/') return '/';
  const trimmed = key.endsWith('/') ? key.slice(0, -1) : key;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Code-unit order, as Go's sort.Strings (what confd's ls and gets return). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
