/**
 * The watch's copy of the watched znodes (data and child names per znode) and the keys it stands
 * for (leaves, as read.ts reads them), so that a re-read of one znode turns into the exact key
 * changes it made: puts, deletes, a leaf gaining children (its key goes) or losing them (it is a
 * key again).
 */
import type { KeyChange } from '../contract.ts';
import { normalizeKey, type KeyPath } from '../../tree/keys.ts';
import { childPath } from './client.ts';
import { RESERVED } from './options.ts';

export interface Mirrored {
  readonly data: string;
  readonly children: ReadonlySet<string>;
}

export type Mirror = Map<string, Mirrored>;

/** The keys at or below `path` in `m`. */
export function keysUnder(m: Mirror, path: string, out = new Map<KeyPath, string>()): Map<KeyPath, string> {
  const node = m.get(path);
  if (node === undefined || path === RESERVED) return out;
  if (node.children.size === 0) {
    if (path !== '/') out.set(normalizeKey(path), node.data);
    return out;
  }
  for (const c of node.children) keysUnder(m, childPath(path, c), out);
  return out;
}

/** Copy the entries of `path`'s subtree from `from` to `to`. */
export function copySubtree(from: Mirror, path: string, to: Mirror): void {
  const node = from.get(path);
  if (node === undefined) return;
  to.set(path, node);
  for (const c of node.children) copySubtree(from, childPath(path, c), to);
}

/** Drop the entries of `path`'s subtree. */
export function dropSubtree(m: Mirror, path: string): void {
  const node = m.get(path);
  if (node === undefined) return;
  m.delete(path);
  for (const c of node.children) dropSubtree(m, childPath(path, c));
}

/** The changes from `before` to `after`: deletes first (a leaf that became a directory), then puts in key order. */
export function diffKeys(before: ReadonlyMap<KeyPath, string>, after: ReadonlyMap<KeyPath, string>): KeyChange[] {
  const changes: KeyChange[] = [];
  for (const k of [...before.keys()].sort()) if (!after.has(k)) changes.push({ key: k });
  for (const k of [...after.keys()].sort()) if (before.get(k) !== after.get(k)) changes.push({ key: k, value: after.get(k)! });
  return changes;
}
