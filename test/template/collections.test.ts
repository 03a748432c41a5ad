import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as c from '../../src/template/collections.ts';
import { kvPair } from '../../src/tree/key-tree.ts';
import { render } from './render.ts';

describe('ordering helpers', () => {
  it('reverse returns a reversed copy and leaves the input alone', async () => {
    const input = ['a', 'b', 'c'];
    assert.deepEqual(c.reverse(input), ['c', 'b', 'a']);
    assert.deepEqual(input, ['a', 'b', 'c']);
    assert.equal(c.reverse('abc'), 'cba');
    assert.equal(await render('{{ reverse(ls("/s")) | join(",") }}', { '/s/a': '', '/s/b': '' }), 'b,a');
  });
  it('sortByLength is stable: equal lengths keep their input order', () => {
    assert.deepEqual(c.sortByLength(['ccc', 'bb', 'zz', 'a', 'yy']), ['a', 'bb', 'zz', 'yy', 'ccc']);
    assert.deepEqual(c.sortByLength(['yy', 'zz', 'bb']), ['yy', 'zz', 'bb']);
  });
  it('sortByLength sorts KV pairs by key; sortKVByLength likewise, stable', () => {
    const pairs = [kvPair('/long/key', '1'), kvPair('/b', '2'), kvPair('/a', '3')];
    assert.deepEqual(c.sortKVByLength(pairs).map((p) => (p as { key: string }).key), ['/b', '/a', '/long/key']);
    assert.deepEqual(c.sortByLength(pairs).map((p) => (p as { key: string }).key), ['/b', '/a', '/long/key']);
  });
  it('longest-first ACL idiom through templates (function and filter forms)', async () => {
    const tree = { '/c/redis/x': '', '/c/redis_test/x': '', '/c/web/x': '' };
    assert.equal(await render('{{ reverse(sortByLength(lsdir("/c"))) | join(" ") }}', tree), 'redis_test redis web');
    assert.equal(await render('{% for k in gets("/c/*/x") | sortKVByLength %}{{ k.Key }} {% endfor %}', tree), '/c/web/x /c/redis/x /c/redis_test/x ');
  });
  it('rejects non-lists', () => {
    assert.throws(() => c.sortByLength(5), /sortByLength: expected a list/);
  });
});

describe('integer arithmetic (confd)', () => {
  it('add sub mul div mod', async () => {
    assert.equal(await render('{{ add(2, 3) }} {{ sub(2, 5) }} {{ mul(4, 5) }} {{ div(7, 2) }} {{ div(-7, 2) }} {{ mod(7, 3) }} {{ mod(-7, 3) }}'), '5 -3 20 3 -3 1 -1');
  });
  it('accepts integer strings (tree values), rejects fractions and words', async () => {
    assert.equal(await render('{{ add(getv("/p"), 1) }}', { '/p': '8080' }), '8081');
    assert.throws(() => c.add(1.5, 1), /add: expected an integer/);
    assert.throws(() => c.mul('x', 1), /mul: expected an integer/);
  });
  it('div and mod by zero are errors with the template position', async () => {
    await assert.rejects(render('ok\n{{ div(1, 0) }}'), /test\.tmpl:2:\d+: div: integer divide by zero/);
    await assert.rejects(render('{{ mod(1, 0) }}'), /mod: integer divide by zero/);
  });
  it('seq is inclusive; empty when a > b', async () => {
    assert.equal(await render('{% for i in seq(1, 3) %}{{ i }}{% endfor %}|{{ seq(3, 1) | length }}|{{ seq(2, 2) | join(",") }}'), '123|0|2');
    assert.throws(() => c.seq(0, 1e9), /seq: range too large/);
  });
});

describe('index / mapValue filters (remco)', () => {
  it('index counts negative positions from the end', async () => {
    assert.equal(await render('{{ l|index:0 }} {{ l|index:-1 }} {{ l|index(1) }}[{{ l|index:9 }}]', {}, {}, { l: ['a', 'b', 'c'] }), 'a c b[]');
  });
  it('mapValue looks up a key; missing → empty', async () => {
    assert.equal(await render('{{ m|mapValue:"a" }}[{{ m|mapValue:"zz" }}][{{ m|mapValue:"toString" }}]', {}, {}, { m: { a: 1 } }), '1[][]');
  });
});

describe('createMap / createSet (remco)', () => {
  it('map Set/Get/Remove; Set and Remove print nothing', async () => {
    const out = await render('{% set m = createMap() %}[{{ m.Set("a", "1") }}{{ m.Set("b", "2") }}{{ m.Remove("b") }}]{{ m.Get("a") }}[{{ m.Get("b") }}]{{ m|toJSON }}');
    assert.equal(out, '[]1[]{"a":"1"}');
  });
  it('set Append/Remove/Contains/SortedSet; marshals sorted', async () => {
    const out = await render('{% set s = createSet() %}{{ s.Append("b") }}{{ s.Append("a") }}{{ s.Append("b") }}{{ s.Append("c") }}{{ s.Remove("c") }}{{ s.Contains("a") }} {{ s.Contains("c") }} {{ s.SortedSet() | join(",") }} {{ s|toJSON }}');
    assert.equal(out, 'true false a,b ["a","b"]');
  });
  it('each call makes a fresh, independent container', async () => {
    assert.equal(await render('{% set a = createMap() %}{% set b = createMap() %}{{ a.Set("k", 1) }}[{{ b.Get("k") }}]'), '[]');
  });
});
