import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KeyNotFoundError, TemplateError } from '../../src/errors.ts';
import { MemoryTree } from '../../src/tree/tree.ts';
import { tempDir } from '../helpers/tmp.ts';
import { engine, render } from './render.ts';

const tree = {
  '/app/name': 'web',
  '/app/port': '8080',
  '/svc/b/ip': '10.0.0.2',
  '/svc/a/ip': '10.0.0.9',
  '/svc/c/ip': '10.0.0.1',
  '/svc/a/weight': '5',
  '/leaf': 'v',
};

describe('tree functions', () => {
  it('get returns a pair with key/value and Key/Value', async () => {
    assert.equal(await render('{% set p = get("/app/name") %}{{ p.key }}={{ p.value }} {{ p.Key }}={{ p.Value }}', tree), '/app/name=web /app/name=web');
  });
  it('getv returns the value, the default when missing, and fails without one', async () => {
    assert.equal(await render('{{ getv("/app/port") }} {{ getv("/app/nope", "80") }} [{{ getv("/app/nope", "") }}]', tree), '8080 80 []');
  });
  it('getv on a missing key names file:line:col and keeps the KeyNotFoundError cause', async () => {
    const err = await render('line one\n  port {{ getv("/config/x/scheme") }}\n', tree).then(() => assert.fail('expected an error'), (e: unknown) => e);
    assert.ok(err instanceof TemplateError);
    assert.equal(err.template, 'test.tmpl');
    assert.equal(err.line, 2);
    assert.equal(err.column, 15);
    assert.equal(err.exitCode, 5);
    assert.match(err.message, /test\.tmpl:2:15: key does not exist: \/config\/x\/scheme$/);
    assert.ok(err.cause instanceof KeyNotFoundError);
  });
  it('get on a missing key fails the same way, inside a loop body', async () => {
    await assert.rejects(render('{% for x in [1] %}\n\n{{ get("/nope").Value }}{% endfor %}', tree), /test\.tmpl:3:\d+: key does not exist: \/nope/);
  });
  it('gets matches a glob, sorted by key; an empty dir gives []', async () => {
    assert.equal(await render('{% for p in gets("/svc/*/ip") %}{{ p.Key }}={{ p.Value }} {% endfor %}', tree), '/svc/a/ip=10.0.0.9 /svc/b/ip=10.0.0.2 /svc/c/ip=10.0.0.1 ');
    assert.equal(await render('{{ gets("/empty/*") | length }}|{% for p in gets("/empty/*") %}x{% endfor %}', tree), '0|');
  });
  it('getvs matches a glob, sorted by value (not key)', async () => {
    assert.equal(await render('{{ getvs("/svc/*/ip") | join(",") }}', tree), '10.0.0.1,10.0.0.2,10.0.0.9');
  });
  it('exists', async () => {
    assert.equal(await render('{{ exists("/app/name") }} {{ exists("/app") }} {{ exists("/nope") }} {{ "/leaf"|exists }}', tree), 'true false false true');
  });
  it('ls lists children; on a key that is itself a value it gives its base name', async () => {
    assert.equal(await render('{{ ls("/svc") | join(",") }}|{{ ls("/svc/a") | join(",") }}|{{ ls("/leaf") | join(",") }}|{{ ls("/nope") | length }}', tree), 'a,b,c|ip,weight|leaf|0');
  });
  it('lsdir lists only children that have children', async () => {
    assert.equal(await render('{{ lsdir("/") | join(",") }}|{{ lsdir("/svc/a") | length }}', tree), 'app,svc|0');
  });
  it('getallkvs returns every pair sorted by key', async () => {
    assert.equal(await render('{% for p in getallkvs() %}{{ p.Key }};{% endfor %}', { '/b': '1', '/a/x': '2' }), '/a/x;/b;');
  });
  it('vars are visible but cannot shadow the tree functions', async () => {
    assert.equal(await render('{{ name }} {{ getv("/app/name") }}', tree, {}, { name: 'n', getv: () => 'hijack' }), 'n web');
  });
  it('one engine renders different trees independently', async () => {
    const e = engine();
    const a = e.renderString('{{ getv("/k") }}', 'a', { resource: 'r', tree: new MemoryTree([['/k', 'A']]) });
    const b = e.renderString('{{ getv("/k") }}', 'b', { resource: 'r', tree: new MemoryTree([['/k', 'B']]) });
    assert.deepEqual(await Promise.all([a, b]), ['A', 'B']);
  });
});

describe('engine settings', () => {
  it('autoescape is off', async () => {
    assert.equal(await render('{{ getv("/h") }}', { '/h': '<a href="x">&</a>' }), '<a href="x">&</a>');
  });
  it('trimBlocks and lstripBlocks are on (remco)', async () => {
    assert.equal(await render('a\n  {% if true %}\n  b\n  {% endif %}\nc\n'), 'a\n  b\nc\n');
  });
  it('undefined values render empty (pongo2 behaviour)', async () => {
    assert.equal(await render('[{{ nothing }}][{{ nothing.deeper }}]'), '[][]');
  });
  it('presets can add globals; templates never see process, require or the real env', async () => {
    assert.equal(await render('{{ hello("x") }}', {}, { globals: { hello: (s: string) => `hi ${s}` } }), 'hi x');
    assert.equal(await render('[{{ process }}][{{ require }}][{{ global }}][{{ env }}][{{ globalThis }}]'), '[][][][][]');
  });
});

describe('errors', () => {
  it('syntax errors are TemplateErrors with line and column', async () => {
    const err = await render('ok\n{% if x %}\n{% endfor %}').then(() => assert.fail('expected an error'), (e: unknown) => e);
    assert.ok(err instanceof TemplateError);
    assert.equal(err.line, 3);
    assert.equal(typeof err.column, 'number');
    assert.match(err.message, /^\[resource:test\] render failed: test\.tmpl:3:\d+: /);
  });
  it('an unknown filter is a TemplateError', async () => {
    await assert.rejects(render('{{ x | nofilter }}'), (e: unknown) => e instanceof TemplateError && /nofilter/.test(e.message));
  });
  it('line numbers survive pongo2 rewriting', async () => {
    const src = '{% for x in ls("/svc")\n   reversed %}\n{{ x|default:"a" }}\n{% endfor %}\n{% if True && !False %}\n{{ getv("/missing") }}{% endif %}';
    const err = await render(src, tree).then(() => assert.fail('expected an error'), (e: unknown) => e as TemplateError);
    assert.equal(err.line, 6);
  });
});

describe('files', () => {
  it('compileFile reports syntax errors with the file path', async (t) => {
    const dir = await tempDir(t);
    const good = join(dir, 'good.tmpl');
    const bad = join(dir, 'bad.tmpl');
    await writeFile(good, '{% for x in ls("/") reversed %}{{ x }}{% endfor %}');
    await writeFile(bad, 'a\nb {{ x }\n');
    const e = engine();
    e.compileFile(good, 'r');
    assert.throws(() => e.compileFile(bad, 'r'), (err: unknown) => err instanceof TemplateError && err.template === bad && err.line === 2);
    assert.throws(() => e.compileFile(join(dir, 'missing.tmpl'), 'r'), /cannot read template/);
  });
  it('renderFile re-reads the file on every render (no cache)', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 't.tmpl');
    const e = engine();
    const input = { resource: 'r', tree: new MemoryTree([['/k', 'v']]) };
    await writeFile(file, 'one {{ getv("/k") }}');
    assert.equal(await e.renderFile(file, input), 'one v');
    await writeFile(file, 'two {{ getv("/k") }}');
    assert.equal(await e.renderFile(file, input), 'two v');
  });
  it('include resolves relative to the including file, is re-read, and is pongo2-rewritten', async (t) => {
    const dir = await tempDir(t);
    const main = join(dir, 'main.tmpl');
    const part = join(dir, 'part.tmpl');
    await writeFile(main, 'A{% include "part.tmpl" %}B');
    await writeFile(part, '{% for x in ls("/s") reversed %}{{ x }}{% endfor %}');
    const e = engine();
    const input = { resource: 'r', tree: new MemoryTree([['/s/a', ''], ['/s/b', '']]) };
    assert.equal(await e.renderFile(main, input), 'AbaB');
    await writeFile(part, 'changed');
    assert.equal(await e.renderFile(main, input), 'AchangedB');
  });
  it('an error inside an included file names that file and its line', async (t) => {
    const dir = await tempDir(t);
    const main = join(dir, 'main.tmpl');
    const part = join(dir, 'part.tmpl');
    await writeFile(main, 'x\n{% include "part.tmpl" %}');
    await writeFile(part, 'p\np\n  {{ getv("/nope") }}');
    const err = await engine().renderFile(main, { resource: 'r', tree: new MemoryTree() }).then(() => assert.fail('expected an error'), (e: unknown) => e as TemplateError);
    assert.equal(err.template, part);
    assert.equal(err.line, 3);
    assert.match(err.message, /key does not exist: \/nope/);
  });
  it('a syntax error inside an included file names that file and its line', async (t) => {
    const dir = await tempDir(t);
    const main = join(dir, 'main.tmpl');
    const part = join(dir, 'part.tmpl');
    await writeFile(main, 'x\n{% include "part.tmpl" %}');
    await writeFile(part, 'ok\n{% if %}');
    const err = await engine().renderFile(main, { resource: 'r', tree: new MemoryTree() }).then(() => assert.fail('expected an error'), (e: unknown) => e as TemplateError);
    assert.ok(err instanceof TemplateError);
    assert.equal(err.template, part);
    assert.equal(err.line, 2);
  });
  it('renderFile on a missing file is a TemplateError', async (t) => {
    const dir = await tempDir(t);
    await assert.rejects(engine().renderFile(join(dir, 'nope.tmpl'), { resource: 'r', tree: new MemoryTree() }), (e: unknown) => e instanceof TemplateError && /cannot read template/.test(e.message));
  });
});

describe('truthiness follows pongo2/Jinja, not JavaScript', () => {
  const t = { '/s/a': '1' };
  it('an empty list is false in if / elif / not / and / or / inline if', async () => {
    assert.equal(await render('{% if ls("/none") %}yes{% else %}no{% endif %}', t), 'no');
    assert.equal(await render('{% if ls("/s") %}yes{% endif %}', t), 'yes');
    assert.equal(await render('{% if false %}{% elif ls("/none") %}a{% elif gets("/s/*") %}b{% endif %}', t), 'b');
    assert.equal(await render('{% if not ls("/none") %}empty{% endif %}', t), 'empty');
    assert.equal(await render('{% if ls("/none") and ls("/s") %}x{% else %}y{% endif %}', t), 'y');
    assert.equal(await render('{% if ls("/none") or ls("/s") %}x{% endif %}', t), 'x');
    assert.equal(await render('{{ "x" if ls("/none") else "y" }}', t), 'y');
  });
  it('empty maps are false, KV pairs and other objects are true', async () => {
    assert.equal(await render('{% if m %}x{% else %}y{% endif %}{% if get("/s/a") %}p{% endif %}{% if createMap() %}m{% endif %}', t, {}, { m: {} }), 'yp' + 'm');
  });
  it('value expressions keep their values: `a or b` still yields a', async () => {
    assert.equal(await render('{{ getv("/nope", "") or "fallback" }} {{ getv("/s/a") or "fallback" }}', t), 'fallback 1');
  });
});
