import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryTree } from '../../src/tree/tree.ts';
import { TreeMirror } from '../../src/tree/mirror.ts';

/** A small deterministic generator (the same sequence on every run). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

test('a mirror equals its tree after any mix of set, delete, deleteTree and clear', () => {
  const rnd = lcg(7);
  const tree = new MemoryTree();
  const mirror = new TreeMirror();
  for (let round = 0; round < 300; round++) {
    const ops = Math.floor(rnd() * 40);
    for (let i = 0; i < ops; i++) {
      const key = `/svc${Math.floor(rnd() * 20)}/i${Math.floor(rnd() * 5)}`;
      const r = rnd();
      if (r < 0.6) tree.set(key, `v${round}.${i}`);
      else if (r < 0.9) tree.delete(key);
      else if (r < 0.99) tree.deleteTree(key.slice(0, key.lastIndexOf('/')));
      else tree.clear();
    }
    mirror.sync(tree);
    assert.deepEqual(new Map([...mirror.values].sort()), new Map([...tree.toMap()].sort()), `round ${round}`);
  }
});

test('a mirror replays only the changes of the tree it follows, and copies anything else', () => {
  const tree = new MemoryTree([['/a', '1'], ['/b', '2']]);
  const mirror = new TreeMirror();
  mirror.sync(tree);
  const first = mirror.values;
  tree.set('/a', '3');
  tree.delete('/b');
  mirror.sync(tree);
  assert.equal(mirror.values, first, 'the same tree again: updated in place, no copy');
  assert.deepEqual([...mirror.values], [['/a', '3']]);
  const other = new MemoryTree([['/x', '9']]);
  mirror.sync(other);
  assert.notEqual(mirror.values, first, 'another tree: a full copy');
  assert.deepEqual([...mirror.values], [['/x', '9']]);
});

test('a journal that outgrew its tree is forgotten and the mirror copies in full, still equal', () => {
  const tree = new MemoryTree([['/k', '0']]);
  const mirror = new TreeMirror();
  mirror.sync(tree);
  const before = mirror.values;
  for (let i = 0; i < 5000; i++) tree.set('/k', String(i)); // > max(1024, size) changes
  assert.equal(tree.journal.since(0), undefined);
  mirror.sync(tree);
  assert.notEqual(mirror.values, before);
  assert.deepEqual([...mirror.values], [['/k', '4999']]);
  tree.set('/k', 'x');
  assert.deepEqual(tree.journal.since(tree.journal.generation - 1), ['/k']);
});
