/**
 * Template errors point at the construct to fix (file:line:col): an unknown filter where it is
 * named, a missing include at its tag, a tag left open at the end of the file at that tag. And
 * what `check` finds without rendering: every problem of a template and of what it includes.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TemplateError } from '../../src/errors.ts';
import { MemoryTree } from '../../src/tree/tree.ts';
import { tempDir } from '../helpers/tmp.ts';
import { engine } from './render.ts';

const input = { resource: 'r', tree: new MemoryTree([['/x', 'v']]) };

/** The error rendering `src` (as a string template named x.njk) throws. */
async function renderError(src: string): Promise<TemplateError> {
  const err = await engine()
    .renderString(src, 'x.njk', input)
    .then(() => assert.fail('expected an error'), (e: unknown) => e);
  assert.ok(err instanceof TemplateError, String(err));
  return err;
}

const where = (e: TemplateError) => `${e.template}:${e.line}:${e.column}`;

describe('template error positions', () => {
  it('an unknown filter on line 4 is reported where it is named, not at 1:1', async () => {
    const err = await renderError('a\nb\nc\n{% for s in ls("/") | nofilter %}{{ s }}{% endfor %}\n');
    assert.equal(where(err), 'x.njk:4:23');
    assert.match(err.message, /x\.njk:4:23: filter not found: nofilter/);
    assert.equal(where(await renderError('a\nb\nc\nserver {{ getv("/x") | nofilter }}\n')), 'x.njk:4:24');
  });

  it('an unknown filter fails at compile time, also in a branch the data never takes and in a set', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 't.njk');
    await writeFile(file, '{% if false %}\n{{ 1 | upper }}\n{% endif %}\n  {% set y = "a" | nofilter %}\n');
    assert.throws(() => engine().compileFile(file, 'r'), (e: unknown) => e instanceof TemplateError && where(e) === `${file}:4:20`);
    const err = await renderError('{% if false %}\n\n{{ 1 | nofilter }}{% endif %}');
    assert.equal(where(err), 'x.njk:3:8');
  });

  it('a missing include is reported at its tag', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'main.njk');
    await writeFile(file, 'a\n{% for i in [1] %}\n   {% include "gone.njk" %}\n{% endfor %}\n');
    const err = await engine().renderFile(file, input).then(() => assert.fail('expected an error'), (e: unknown) => e as TemplateError);
    assert.ok(err instanceof TemplateError);
    assert.equal(where(err), `${file}:3:7`);
    assert.match(err.message, new RegExp(`template not found: ${join(dir, 'gone.njk').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('an include whose file is missing inside an included file points into that file', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'main.njk'), 'a\n{% include "part.njk" %}\n');
    await writeFile(join(dir, 'part.njk'), 'p\np\n{% import "gone.njk" as g %}\n');
    const err = await engine().renderFile(join(dir, 'main.njk'), input).then(() => assert.fail('expected an error'), (e: unknown) => e as TemplateError);
    assert.equal(where(err), `${join(dir, 'part.njk')}:3:4`);
  });

  it('a tag left open at the end of the file is reported at that tag', async () => {
    const ifErr = await renderError('a\n{% if x %}\nb\nc\n');
    assert.equal(where(ifErr), 'x.njk:2:1');
    assert.match(ifErr.message, /x\.njk:2:1: \{% if %\} is not closed before the end of the file/);
    assert.equal(where(await renderError('a\n{% for x in [1] %}{% if x %}{% endif %}\nb\n')), 'x.njk:2:1');
    assert.equal(where(await renderError('{% if a %}\n{% if b %}{% endif %}\n  {% macro m() %}\n')), 'x.njk:3:3');
    assert.equal(where(await renderError('a\n{% if x %} {{ y \n')), 'x.njk:2:12');
    assert.equal(where(await renderError('a\n\n  {# note\n')), 'x.njk:3:3');
    assert.equal(where(await renderError('{% raw %}{% if %}{% endraw %}\n{% if x %}\n')), 'x.njk:2:1');
  });
});

describe('checkFile: every problem without rendering', () => {
  it('lists every unknown filter and every missing include, in the template and in what it includes', async (t) => {
    const dir = await tempDir(t);
    await mkdir(join(dir, 'parts'));
    const main = join(dir, 'main.njk');
    const part = join(dir, 'parts', 'part.njk');
    await writeFile(main, [
      'a',
      'server {{ "x" | nofilter }}',
      '{% include "parts/part.njk" %}',
      '{% include "gone.njk" %}',
      '{% include "optional.njk" ignore missing %}',
      '{% set n = "computed.njk" %}{% include n %}',
      '{% from "macros.njk" import m %}',
      '{% if false %}{{ 1 | upper | alsonot }}{% endif %}',
    ].join('\n'));
    await writeFile(part, 'p\n{{ 1 | thirdnot }}\n{% include "../main.njk" %}\n');
    const problems = engine().checkFile(main, 'r');
    assert.deepEqual(problems.map((p) => `${where(p)} ${p.message.replace(/^.*?\d+:\d+: /, '')}`), [
      `${main}:2:17 filter not found: nofilter`,
      `${main}:8:30 filter not found: alsonot`,
      `${main}:4:4 template not found: ${join(dir, 'gone.njk')}`,
      `${main}:7:4 template not found: ${join(dir, 'macros.njk')}`,
      `${part}:2:8 filter not found: thirdnot`,
    ]);
  });

  it('a syntax error, an unreadable template, and a clean one', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'bad.njk'), 'ok\n{% if x %}\n');
    await writeFile(join(dir, 'good.njk'), '{% for x in ls("/") reversed %}{{ x | upper }}{% endfor %}\n');
    const e = engine();
    assert.deepEqual(e.checkFile(join(dir, 'bad.njk'), 'r').map(where), [`${join(dir, 'bad.njk')}:2:1`]);
    assert.deepEqual(e.checkFile(join(dir, 'good.njk'), 'r'), []);
    assert.match(e.checkFile(join(dir, 'none.njk'), 'r')[0].message, /cannot read template/);
  });
});
