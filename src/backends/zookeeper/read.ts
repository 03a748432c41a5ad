/**
 * A snapshot of prefixes as confd and remco walk ZooKeeper: a znode without children is a key and
 * its data the value; a znode with children contributes its children only (its own data is not
 * read). ZooKeeper's own `/zookeeper` subtree is skipped. The walk is not atomic: ZooKeeper has
 * no multi-znode read, so a change during a walk shows in it or in the next event.
 */
import { isUnder, normalizeKey, type KeyPath } from '../../tree/keys.ts';
import { childPath, type ZkSession } from './client.ts';
import { RESERVED } from './options.ts';

/** Prefixes no other prefix contains (reading both would read the inner one twice). */
export function outermost(prefixes: readonly KeyPath[]): KeyPath[] {
  const unique = [...new Set(prefixes)];
  return unique.filter((p) => !unique.some((q) => q !== p && isUnder(p, q)));
}

/** Every key at or below `path`, into `out`. */
export async function walk(session: ZkSession, path: string, out: Map<KeyPath, string>): Promise<void> {
  if (path === RESERVED) return;
  const node = await session.getData(path);
  if (node === undefined) return; // gone, or never there
  if (node.numChildren === 0) {
    if (path !== '/') out.set(normalizeKey(path), node.data);
    return;
  }
  const children = await session.getChildren(path);
  if (children === undefined) return;
  if (children.length === 0) {
    // its children went between the two reads: it is a key now
    const again = await session.getData(path);
    if (again !== undefined && path !== '/') out.set(normalizeKey(path), again.data);
    return;
  }
  await Promise.all(children.map((c) => walk(session, childPath(path, c), out)));
}

export async function readPrefixes(session: ZkSession, prefixes: readonly KeyPath[]): Promise<Map<KeyPath, string>> {
  const found = new Map<KeyPath, string>();
  await Promise.all(outermost(prefixes).map((p) => walk(session, p, found)));
  // the walk is unordered: give the snapshot a stable order
  return new Map([...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
