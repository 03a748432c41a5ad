/**
 * The per-render template context: tree lookups bound to this render's KeyTree, DNS lookups
 * bound to this render's cache, and clock functions bound to one instant (so every pass of a
 * render sees the same time). Nothing here reaches the process, the file system or the real env.
 */
import { normalizeKey } from '../tree/keys.ts';
import { kvPair, type KeyTree } from '../tree/key-tree.ts';
import { isV4, isV6, type DnsCache } from './dns.ts';
import { GoTime } from './gotime.ts';
import { str } from './strings.ts';

export const CONTEXT_FUNCTIONS = [
  'get', 'gets', 'getv', 'getvs', 'exists', 'ls', 'lsdir', 'getallkvs',
  'lookupIP', 'lookupIPV4', 'lookupIPV6', 'lookupSRV', 'datetime', 'unixTS', 'dateRFC3339',
] as const;

/** `missing = 'empty'` (resource `missing_keys = "empty"`): a missing key renders as "" instead of failing. */
export function treeFunctions(tree: KeyTree, missing: 'error' | 'empty' = 'error') {
  const orEmpty = missing === 'empty' ? '' : undefined;
  return {
    get: (key: unknown) => {
      const k = str(key);
      return orEmpty !== undefined && !tree.exists(k) ? kvPair(normalizeKey(k), orEmpty) : tree.get(k);
    },
    gets: (pattern: unknown) => tree.gets(str(pattern)),
    getv: (key: unknown, fallback?: unknown) => tree.getv(str(key), fallback === undefined || fallback === null ? orEmpty : str(fallback)),
    getvs: (pattern: unknown) => tree.getvs(str(pattern)),
    exists: (key: unknown) => tree.exists(str(key)),
    ls: (dir: unknown) => tree.ls(str(dir)),
    lsdir: (dir: unknown) => tree.lsdir(str(dir)),
    getallkvs: () => tree.entries(),
  };
}

export function dnsFunctions(cache: DnsCache) {
  return {
    lookupIP: (host: unknown) => cache.lookupIP(host),
    lookupIPV4: (host: unknown) => cache.lookupIP(host).filter(isV4),
    lookupIPV6: (host: unknown) => cache.lookupIP(host).filter(isV6),
    lookupSRV: (service: unknown, proto: unknown, name: unknown) => cache.lookupSRV(service, proto, name),
  };
}

/**
 * `datetime` is callable (`datetime().Format(...)`) and also carries the time's methods, so
 * confd's `{{ datetime.Format "2006" }}` reads `datetime.Format("2006")` here.
 */
export function clockFunctions(now: Date) {
  const t = new GoTime(now);
  const datetime = Object.assign(() => t, {
    Format: (layout: unknown) => t.Format(str(layout)),
    UTC: () => t.UTC(),
    Local: () => t.Local(),
    Unix: () => t.Unix(),
    String: () => t.String(),
  });
  return {
    datetime,
    unixTS: () => String(t.Unix()),
    dateRFC3339: () => t.Format('2006-01-02T15:04:05Z07:00'),
  };
}

