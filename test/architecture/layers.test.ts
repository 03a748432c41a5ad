/**
 * src/ is a map of the data path: every step has its folder, and a folder imports only from
 * folders below it (docs/architecture.md lists the layers). This test reads every import of
 * src/ (type-only ones included) and fails on an upward import, an import cycle, a file outside
 * its step's folder, or a file over 300 lines.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { findCycles, layerOf, LAYERS, ROOT_FILES } from './graph.ts';

const SRC = resolve(import.meta.dirname, '..', '..', 'src');
const MAX_LINES = 300;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Relative imports of one file (static, type-only, re-exports and dynamic), as src-relative paths. */
function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm)) {
    out.push(relative(SRC, resolve(dirname(file), m[1])));
  }
  return out;
}

const files = walk(SRC).map((f) => relative(SRC, f));
const graph = new Map(files.map((f) => [f, importsOf(join(SRC, f), readFileSync(join(SRC, f), 'utf8'))]));

test('every file sits in the folder of its step; only the entry point, errors, log and the composition root are at the top', () => {
  const stray = files.filter((f) => (f.includes('/') ? !Object.hasOwn(LAYERS, f.split('/')[0]) : !ROOT_FILES.includes(f)));
  assert.deepEqual(stray, []);
});

test(`no file is over ${MAX_LINES} lines`, () => {
  const long = files.filter((f) => readFileSync(join(SRC, f), 'utf8').split('\n').length > MAX_LINES + 1);
  assert.deepEqual(long, []);
});

test('no import reaches up a layer or sideways into another folder of the same layer', () => {
  const bad: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      if (!graph.has(to)) {
        bad.push(`${from} imports ${to}, which does not exist`);
        continue;
      }
      const a = layerOf(from);
      const b = layerOf(to);
      if (a.folder !== b.folder && a.rank <= b.rank) bad.push(`${from} (${a.folder}, layer ${a.rank}) imports ${to} (${b.folder}, layer ${b.rank})`);
    }
  }
  assert.deepEqual(bad, []);
});

test('there is no import cycle, type-only imports included', () => {
  assert.deepEqual(findCycles(graph), []);
});

test('the checks catch what they are for', () => {
  assert.deepEqual(findCycles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']]])), [['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  assert.ok(layerOf('cli/run.ts').rank > layerOf('runner/runner.ts').rank);
  assert.ok(layerOf('tree/tree.ts').rank < layerOf('template/engine.ts').rank);
  assert.equal(layerOf('app.ts').folder, 'app.ts');
});
