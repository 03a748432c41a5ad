import assert from 'node:assert/strict';
import { stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TemplateError } from '../../src/errors.ts';
import { SourceCache } from '../../src/template/cache.ts';
import { createSprintf, sprintf } from '../../src/template/printf.ts';
import { MemoryTree } from '../../src/tree/tree.ts';
import { tempDir } from '../helpers/tmp.ts';
import { engine, render } from './render.ts';

describe('SourceCache', () => {
  it('reuses a value while the source is unchanged and rebuilds when it changes', () => {
    const c = new SourceCache<string>();
    let builds = 0;
    const build = (s: string) => () => `${s}#${++builds}`;
    assert.equal(c.get('t', 'a', build('a')), 'a#1');
    assert.equal(c.get('t', 'a', build('a')), 'a#1');
    assert.equal(c.get('t', 'b', build('b')), 'b#2');
    assert.equal(c.get('t', 'a', build('a')), 'a#3', 'an older text is not resurrected');
    assert.equal(c.get('u', 'a', build('a')), 'a#4', 'names are separate');
    assert.equal(c.size, 2);
  });
  it('remembers nothing when the build throws', () => {
    const c = new SourceCache<number>();
    assert.throws(() => c.get('t', 'bad', () => { throw new Error('boom'); }), /boom/);
    assert.equal(c.size, 0);
    assert.equal(c.get('t', 'bad', () => 7), 7);
  });
  it('is bounded, evicting the least recently used name', () => {
    const c = new SourceCache<string>(2);
    let builds = 0;
    c.get('a', 'x', () => `a${++builds}`);
    c.get('b', 'x', () => `b${++builds}`);
    c.get('a', 'x', () => `a${++builds}`); // a is now the most recent
    c.get('c', 'x', () => `c${++builds}`); // evicts b
    assert.equal(c.size, 2);
    assert.equal(c.get('a', 'x', () => 'rebuilt'), 'a1');
    assert.equal(c.get('b', 'x', () => 'rebuilt'), 'rebuilt');
  });
});

describe('compiled templates are reused only for unchanged text', () => {
  it('an edit is picked up even when size and mtime stay the same', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 't.tmpl');
    const e = engine();
    const input = { resource: 'r', tree: new MemoryTree([['/k', 'v']]) };
    await writeFile(file, 'AAA {{ getv("/k") }}');
    const before = await stat(file);
    assert.equal(await e.renderFile(file, input), 'AAA v');
    assert.equal(await e.renderFile(file, input), 'AAA v');
    await writeFile(file, 'BBB {{ getv("/k") }}');
    await utimes(file, before.atime, before.mtime);
    assert.equal(await e.renderFile(file, input), 'BBB v');
    await writeFile(file, 'AAA {{ getv("/k") }}');
    assert.equal(await e.renderFile(file, input), 'AAA v', 'reverting the edit renders the old text again');
  });
  it('a broken edit fails, and fixing it renders again (nothing stale is served)', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 't.tmpl');
    const e = engine();
    const input = { resource: 'r', tree: new MemoryTree() };
    await writeFile(file, 'ok');
    assert.equal(await e.renderFile(file, input), 'ok');
    await writeFile(file, 'a {{ x }');
    await assert.rejects(e.renderFile(file, input), TemplateError);
    await assert.rejects(e.renderFile(file, input), TemplateError);
    await writeFile(file, 'fixed');
    assert.equal(await e.renderFile(file, input), 'fixed');
  });
  it('renderString compiles per (name, text)', async () => {
    const e = engine();
    const input = { resource: 'r', tree: new MemoryTree() };
    assert.equal(await e.renderString('one', 'n', input), 'one');
    assert.equal(await e.renderString('two', 'n', input), 'two');
    assert.equal(await e.renderString('one', 'n', input), 'one');
  });
});

describe('loop variables', () => {
  const tree = { '/s/a': '1', '/s/b': '2', '/s/c': '3' };
  it('every loop.* field, each loop with its own', async () => {
    const out = await render(
      '{% for x in ls("/s") %}{% for y in ["p", "q"] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}' +
        '{{ "F" if loop.first }}{{ "L" if loop.last }}{{ loop.length }} {% endfor %}| {{ x }}{{ loop.index }}/{{ loop.length }}{{ "L" if loop.last }}\n{% endfor %}',
      tree,
    );
    assert.equal(out, ['1021F2 2110L2 | a1/3', '1021F2 2110L2 | b2/3', '1021F2 2110L2 | c3/3L', ''].join('\n'));
  });
  it('key/value and unpacking loops, macros, else, and pongo2 forloop', async () => {
    assert.equal(await render('{% for k, v in {"a": 1, "b": 2} %}{{ k }}{{ v }}{{ loop.index }}{{ loop.last }} {% endfor %}'), 'a11false b22true ');
    assert.equal(await render('{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }}{{ loop.revindex }}{% endfor %}'), '122341');
    assert.equal(await render('{% macro m(xs) %}{% for x in xs %}{{ x }}{{ loop.index }}{% endfor %}{% endmacro %}{{ m(ls("/s")) }}', tree), 'a1b2c3');
    assert.equal(await render('{% for x in [] %}x{% else %}none{% endfor %}'), 'none');
    assert.equal(await render('{% for x in ls("/s") reversed %}{{ forloop.Counter }}{{ x }}{% if forloop.Last %}!{% endif %}{% endfor %}', tree), '1c2b3a!');
  });
  it('a loop object kept past its iteration reads like nunjucks (one object per loop, updated in place)', async () => {
    assert.equal(await render('{% set m = createMap() %}{% for x in ls("/s") %}{{ m.Set(x, loop) }}{% endfor %}{{ m.Get("a").index }}{{ m.Get("a").last }}', tree), '3true');
  });
  it('an included template sees the loop of the including one', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'main.tmpl'), '{% for x in ls("/s") %}{% include "part.tmpl" %}{% endfor %}');
    await writeFile(join(dir, 'part.tmpl'), '{{ x }}{{ loop.index }}');
    assert.equal(await engine().renderFile(join(dir, 'main.tmpl'), { resource: 'r', tree: new MemoryTree(Object.entries(tree)) }), 'a1b2c3');
  });
});

describe('templates cannot change what the tree caches', () => {
  const tree = { '/s/a': '1', '/s/b': '2', '/d/x/y': '3' };
  it('mutating returned lists and pairs in one render leaves the next render (and the rest of this one) unchanged', async () => {
    const e = engine();
    const input = { resource: 'r', tree: new MemoryTree(Object.entries(tree)) };
    const src =
      '{% set l = ls("/s") %}{{ l.reverse() | join(",") }}|{{ ls("/s") | join(",") }}|' +
      '{% set d = lsdir("/") %}{{ d.push("zz") }}|{{ lsdir("/") | join(",") }}|' +
      '{% set g = gets("/s/*") %}{{ g.pop().Key }}|{{ gets("/s/*") | length }}|' +
      '{% set v = getvs("/s/*") %}{{ v.reverse() | join(",") }}|{{ getvs("/s/*") | join(",") }}|' +
      '{% set kv = getallkvs() %}{{ kv.shift().Key }}|{{ getallkvs() | length }}';
    const want = 'b,a|a,b|3|d,s|/s/b|2|2,1|1,2|/d/x/y|3';
    assert.equal(await e.renderString(src, 't', input), want);
    assert.equal(await e.renderString(src, 't', input), want);
  });
});

describe('printf format cache', () => {
  it('gives what sprintf gives, first call and cached, also after evictions', () => {
    const cached = createSprintf(2);
    const cases: [string, unknown[]][] = [
      ['/config/%s/scheme', ['web']], ['%s', [5]], ['%d-%5s|%-3d|', [1, 'ab', 2]], ['100%%', []], ['%s', []],
      ['x', [1, 'y']], ['%', []], ['%!', ['a']], ['%.1s%v', ['abc', [1, 'b']]], ['%s%s', ['a']],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [fmt, args] of cases) assert.equal(cached(fmt, ...args), sprintf(fmt, ...args), `${fmt} ${JSON.stringify(args)}`);
    }
  });
});

describe('function calls', () => {
  it('any number of arguments, keyword arguments, and the context as `this`', async () => {
    assert.equal(await render('{{ unixTS() | length > 0 }}|{{ base("/a/b") }}|{{ add(1, 2) }}|{{ printf("%s%s", "a", "b") }}|{{ printf("%s%s%s%s", "a", "b", "c", "d") }}'), 'true|b|3|ab|abcd');
    assert.equal(await render('{% macro m(a, b=2, c=3) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ m(1) }} {{ m(1, c=9) }} {{ m(1, 2, 3) }}'), '123 129 123');
    const seen = await render('{{ who() }}', {}, { globals: { who(this: { lookup?: unknown }) { return typeof this.lookup; } } });
    assert.equal(seen, 'function');
  });
  it('a function with its own `apply` is called through it, as nunjucks does', async () => {
    const weird = Object.assign(() => 'direct', { apply: () => 'via apply' });
    assert.equal(await render('{{ weird() }}{{ weird(1, 2) }}', {}, { globals: { weird } }), 'via applyvia apply');
  });
  it('calling something undefined or not a function names it, with line and column', async () => {
    await assert.rejects(render('\n  {{ nope(1) }}'), (e: unknown) => e instanceof TemplateError && /Unable to call `nope`, which is undefined or falsey/.test(e.message) && e.line === 2);
    await assert.rejects(render('{% set x = 5 %}{{ x() }}'), (e: unknown) => e instanceof TemplateError && /Unable to call `x`, which is not a function/.test(e.message));
    await assert.rejects(render('{{ a.b.c(1, 2, 3, 4, 5) }}', {}, {}, { a: { b: {} } }), (e: unknown) => e instanceof TemplateError && /Unable to call `a\["b"\]\["c"\]`/.test(e.message));
  });
});
