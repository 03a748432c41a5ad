/** A template's files (include/import/extends, transitively) and the rendered-line → template-line map. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mapRenderedLine, readTemplateFiles, referencedFiles } from '../../src/template/deps.ts';
import { tempDir } from '../helpers/tmp.ts';

test('referencedFiles resolves string-literal include/import/from/extends against the including file', () => {
  const text = `{% extends "base.njk" %}\n{%- include 'parts/a.njk' %}\n{% import "/abs/macros.njk" as m %}\n{% from "f.njk" import x %}\n{% include name %}`;
  assert.deepEqual(referencedFiles(text, '/t/main.njk'), ['/t/base.njk', '/t/parts/a.njk', '/abs/macros.njk', '/t/f.njk']);
});

test('readTemplateFiles follows references transitively and lists the missing ones', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'parts'));
  await writeFile(join(dir, 'main.njk'), '{% include "parts/a.njk" %}');
  await writeFile(join(dir, 'parts', 'a.njk'), '{% include "b.njk" %}{% include "gone.njk" %}');
  await writeFile(join(dir, 'parts', 'b.njk'), '{% include "../main.njk" %}'); // a cycle ends
  const r = await readTemplateFiles(join(dir, 'main.njk'));
  assert.deepEqual([...r.files.keys()], [join(dir, 'main.njk'), join(dir, 'parts/a.njk'), join(dir, 'parts/b.njk')]);
  assert.deepEqual(r.missing, [join(dir, 'parts/gone.njk')]);
});

test('mapRenderedLine finds the template line whose literal text matches best, or nothing when ambiguous', () => {
  const files = new Map([
    ['/t/main.njk', 'global\n    maxconn {{ n }}\n{% for s in servers %}\n    server {{ s.name }} {{ s.addr }} check\n{% endfor %}\n'],
    ['/t/inc.njk', 'defaults\n    timeout client {{ t }}\n    timeout server {{ t }}\n'],
  ]);
  assert.deepEqual(mapRenderedLine(files, '    server web1 10.0.0.1:80 check'), { file: '/t/main.njk', line: 4 });
  assert.deepEqual(mapRenderedLine(files, '    timeout server 5s'), { file: '/t/inc.njk', line: 3 });
  assert.deepEqual(mapRenderedLine(files, '    maxconn 100'), { file: '/t/main.njk', line: 2 });
  assert.equal(mapRenderedLine(files, 'something else entirely'), undefined);
  assert.equal(mapRenderedLine(new Map([['/a', 'x {{ a }}\nx {{ b }}\n']]), 'x 1'), undefined, 'two equally good lines: not mappable');
});
