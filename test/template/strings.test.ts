import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as s from '../../src/template/strings.ts';
import { render } from './render.ts';

describe('path helpers (Go path.Base / path.Dir)', () => {
  it('base', async () => {
    assert.equal(s.base('/a/b/c'), 'c');
    assert.equal(s.base('/a/b/'), 'b');
    assert.equal(s.base('/'), '/');
    assert.equal(s.base(''), '.');
    assert.equal(s.base('plain'), 'plain');
    assert.equal(await render('{{ base("/services/web/1") }} {{ "/x/y" | base }}'), '1 y');
  });
  it('dir', async () => {
    assert.equal(s.dir('/a/b/c'), '/a/b');
    assert.equal(s.dir('/a'), '/');
    assert.equal(s.dir('a'), '.');
    assert.equal(s.dir('/a/b/'), '/a/b');
    assert.equal(s.dir(''), '.');
    assert.equal(await render('{{ dir("/services/web/1") }} {{ "/x/y" | dir }}'), '/services/web /x');
  });
});

describe('string helpers', () => {
  it('split follows strings.Split (empty sep → chars, empty input → [""])', async () => {
    assert.deepEqual(s.split('a,b,,c', ','), ['a', 'b', '', 'c']);
    assert.deepEqual(s.split('abc', ''), ['a', 'b', 'c']);
    assert.deepEqual(s.split('', ','), ['']);
    assert.equal(await render('{% for p in split("10.0.0.1:80", ":") %}[{{ p }}]{% endfor %}'), '[10.0.0.1][80]');
    assert.equal(await render('{{ "a b"|split:" "|join:"+" }}'), 'a+b');
  });
  it('join takes the list first; rejects non-lists', async () => {
    assert.equal(s.join(['a', 'b'], ', '), 'a, b');
    assert.throws(() => s.join('ab', ','), /join: expected a list/);
    assert.equal(await render('{{ join(ls("/s"), ",") }}', { '/s/b': '1', '/s/a': '2' }), 'a,b');
  });
  it('toUpper / toLower / contains / trimSuffix / trimPrefix', async () => {
    assert.equal(await render('{{ toUpper("ab") }}{{ toLower("CD") }}{{ "Ef"|toUpper }}'), 'ABcdEF');
    assert.equal(await render('{{ contains("haproxy", "prox") }} {{ contains("a", "b") }}'), 'true false');
    assert.equal(await render('{{ trimSuffix("web.example.com", ".example.com") }} {{ trimSuffix("ab", "x") }}'), 'web ab');
    assert.equal(s.trimPrefix('/p/a', '/p'), '/a');
  });
  it('replace(s, old, new, n): n < 0 replaces all, n limits, empty old inserts between runes', async () => {
    assert.equal(s.replace('a.b.c', '.', '-', -1), 'a-b-c');
    assert.equal(s.replace('a.b.c', '.', '-', 1), 'a-b.c');
    assert.equal(s.replace('a.b.c', '.', '-', 0), 'a.b.c');
    assert.equal(s.replace('ab', '', '-', -1), '-a-b-');
    assert.equal(s.replace('ab', '', '-', 2), '-a-b');
    assert.throws(() => s.replace('a', 'a', 'b', 1.5), /replace: n must be an integer/);
    assert.equal(await render('{{ replace("a_b_c", "_", ".", -1) }} {{ replace("a_b_c", "_", ".", 1) }}'), 'a.b.c a.b_c');
  });
  it('base64Encode / base64Decode (strict standard encoding)', async () => {
    assert.equal(await render('{{ base64Encode("hello") }} {{ base64Decode("aGVsbG8=") }}'), 'aGVsbG8= hello');
    assert.equal(await render('{{ "hi"|base64 }} {{ "aGk="|base64decode }}'), 'aGk= hi');
    assert.throws(() => s.base64Decode('aGk'), /illegal base64/);
    assert.throws(() => s.base64Decode('a$=='), /illegal base64/);
  });
  it('parseBool accepts exactly strconv.ParseBool spellings', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(s.parseBool(t), true, t);
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(s.parseBool(f), false, f);
    for (const bad of ['yes', 'tRuE', '', ' true', '2']) assert.throws(() => s.parseBool(bad), /parseBool: invalid syntax/, bad);
  });
  it('parseBool error surfaces as a template error', async () => {
    await assert.rejects(render('{{ parseBool("yes") }}'), /test\.tmpl:1:\d+: parseBool: invalid syntax: "yes"/);
    assert.equal(await render('{% if parseBool("True") %}on{% endif %}'), 'on');
  });
  it('atoi is strict', async () => {
    assert.equal(s.atoi('42'), 42);
    assert.equal(s.atoi('-7'), -7);
    assert.equal(s.atoi('+3'), 3);
    for (const bad of ['4.2', '', ' 1', '1e3', 'x', '99999999999999999999']) assert.throws(() => s.atoi(bad), /atoi: /, bad);
    assert.equal(await render('{{ atoi("8") + 1 }}'), '9');
  });
  it('json decodes objects only, jsonArray arrays only', async () => {
    assert.deepEqual(s.json('{"a":1}'), { a: 1 });
    assert.throws(() => s.json('[1]'), /json: not a JSON object/);
    assert.throws(() => s.json('{bad'), /json: /);
    assert.deepEqual(s.jsonArray('[1,"x"]'), [1, 'x']);
    assert.throws(() => s.jsonArray('{}'), /jsonArray: not a JSON array/);
    const out = await render('{% set o = json(getv("/o")) %}{{ o.host }}:{{ o.port }} {% for x in jsonArray(getv("/l")) %}{{ x }}{% endfor %}', { '/o': '{"host":"h","port":1}', '/l': '["a","b"]' });
    assert.equal(out, 'h:1 ab');
  });
  it('map builds a string-keyed map; odd count or non-string key is an error', async () => {
    assert.equal(await render('{% set m = map("a", 1, "b", "x") %}{{ m.a }}{{ m.b }}'), '1x');
    assert.throws(() => s.makeMap('a'), /map: expects an even number/);
    assert.throws(() => s.makeMap(1, 2), /map: key 0 is not a string/);
  });
});

describe('getenv reads only the injected map', () => {
  const env = { HOST: 'h1', EMPTY: '' };
  it('value, default when unset or empty, empty string without default', async () => {
    assert.equal(await render('{{ getenv("HOST") }}|{{ getenv("NOPE", "d") }}|{{ getenv("EMPTY", "d") }}|{{ getenv("NOPE") }}|{{ "HOST"|getenv }}', {}, { env }), 'h1|d|d||h1');
  });
  it('never sees the real process environment', async () => {
    assert.ok(process.env.PATH, 'test precondition: PATH is set');
    assert.equal(await render('[{{ getenv("PATH") }}]', {}, { env: {} }), '[]');
    assert.equal(await render('[{{ getenv("toString") }}]', {}, { env: {} }), '[]');
  });
});

describe('fileExists uses the injected probe', () => {
  it('passes the path through', async () => {
    const seen: string[] = [];
    const fileExists = (p: string) => { seen.push(p); return p === '/etc/ok'; };
    assert.equal(await render('{{ fileExists("/etc/ok") }} {{ "/nope"|fileExists }}', {}, { fileExists }), 'true false');
    assert.deepEqual(seen, ['/etc/ok', '/nope']);
  });
});
