/**
 * Golden corpus of confd (Go text/template) templates: each `go/NAME.tmpl` renders with the Go
 * engine over `go/NAME.yaml` (`keys`, optional `env` and `now`) to exactly `go/NAME.out`. The
 * expected outputs follow Go's text/template and fmt semantics as confd 0.16 executes them.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { createTemplateEngine } from '../../src/template/index.ts';
import { MemoryTree } from '../../src/tree/tree.ts';
import { noDns } from '../template/render.ts';

const dir = join(import.meta.dirname, 'go');
const names = readdirSync(dir).filter((f) => f.endsWith('.tmpl')).map((f) => f.slice(0, -5)).sort();

interface GoldenData {
  keys?: Record<string, string>;
  env?: Record<string, string>;
  now?: string;
}

describe('Go template golden corpus', () => {
  it('has at least 30 templates', () => assert.ok(names.length >= 30, String(names.length)));
  for (const name of names) {
    it(name, async () => {
      const data = (YAML.parse(await readFile(join(dir, `${name}.yaml`), 'utf8')) ?? {}) as GoldenData;
      const now = new Date(data.now ?? '2026-01-02T03:04:05Z');
      const engine = createTemplateEngine({ env: data.env ?? {}, resolver: noDns, now: () => now, fileExists: () => false });
      const tree = new MemoryTree(Object.entries(data.keys ?? {}).map(([k, v]) => [k, String(v)] as const));
      const out = await engine.renderFile(join(dir, `${name}.tmpl`), { resource: name, tree, engine: 'go' });
      assert.equal(out, await readFile(join(dir, `${name}.out`), 'utf8'));
    });
  }
});
