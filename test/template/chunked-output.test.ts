/**
 * A large render is built in chunks (compile.ts: a function's `output` is set aside every 64 KB
 * and joined once at its end). The text must be exactly what stock nunjucks renders, in every
 * kind of function that owns an `output`: the root, a block of an extended template, a
 * `{% set %}` capture, an include, and a macro (its own buffer) beside them.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import nunjucks from 'nunjucks';
import { createTemplateEngine } from '../../src/template/index.ts';
import { MemoryTree } from '../../src/tree/tree.ts';
import { tempDir } from '../helpers/tmp.ts';

const TEMPLATES: Record<string, string> = {
  'rows.njk': '{% for i in range(0, n) %}row {{ i }} of {{ n }}: {{ label }}\n{% endfor %}',
  'root.njk': 'head\n{% set n = 20000 %}{% set label = "root" %}{% include "rows.njk" %}\nmiddle {{ n }}\n{% for j in range(0, 3) %}{% include "rows.njk" %}{% endfor %}tail\n',
  'capture.njk':
    '{% set big %}{% for i in range(0, 30000) %}c{{ i }};{% endfor %}{% endset %}' +
    'before {{ big | length }}\n{{ big }}\nafter\n{% set small %}x{% endset %}{{ small }}\n',
  'base.njk': 'base top\n{% block body %}default{% endblock %}\nbase bottom {{ 1 + 1 }}\n',
  'child.njk':
    '{% extends "base.njk" %}{% block body %}{% for i in range(0, 15000) %}block {{ i }}\n{% endfor %}{{ super() }}{% endblock %}',
  'macro.njk':
    '{% macro m(k) %}{% for i in range(0, k) %}m{{ i }},{% endfor %}{% endmacro %}{{ m(20000) }}\n{% for i in range(0, 9000) %}{{ i }} {{ m(1) }}\n{% endfor %}',
};

test('chunked output: a large render is byte for byte what stock nunjucks renders', async (t) => {
  const dir = await tempDir(t);
  for (const [name, text] of Object.entries(TEMPLATES)) await writeFile(join(dir, name), text);
  const stock = new nunjucks.Environment(new nunjucks.FileSystemLoader(dir), { autoescape: false, trimBlocks: true, lstripBlocks: true });
  const engine = createTemplateEngine({ env: {} });
  for (const name of ['root.njk', 'capture.njk', 'child.njk', 'macro.njk']) {
    const expected = stock.render(name, {});
    const got = await engine.renderFile(join(dir, name), { resource: 'r', tree: new MemoryTree(), allowMultiline: true });
    assert.ok(expected.length > 2 * 65_536, `${name}: ${expected.length} chars is big enough to be chunked`);
    assert.equal(got.length, expected.length, name);
    assert.ok(got === expected, `${name}: the same text`);
  }
});
