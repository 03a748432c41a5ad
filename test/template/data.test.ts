import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as d from '../../src/template/data.ts';
import { render } from './render.ts';

describe('parseInt / parseFloat (remco filters)', () => {
  it('parse base-10, empty → 0, non-strings pass through', async () => {
    assert.equal(await render('{{ "12000"|parseInt + 1 }} {{ ""|parseInt }} {{ 5|parseInt }} {{ "-3"|parseInt }}'), '12001 0 5 -3');
    assert.equal(await render('{{ "1.5"|parseFloat * 2 }} {{ ""|parseFloat }} {{ "1e3"|parseFloat }}'), '3 0 1000');
  });
  it('reject garbage', () => {
    assert.throws(() => d.parseIntFilter('12a'), /parseInt: invalid syntax/);
    assert.throws(() => d.parseIntFilter('1.5'), /parseInt: invalid syntax/);
    assert.throws(() => d.parseFloatFilter('x1'), /parseFloat: invalid syntax/);
    assert.throws(() => d.parseFloatFilter(' 1'), /parseFloat: invalid syntax/);
  });
});

describe('parseYAML / parseJSON / parseYAMLArray', () => {
  it('decode YAML and JSON with the same decoder', async () => {
    const tree = { '/y': 'a: 1\nb: [x, y]\n', '/j': '{"host": "h", "ports": [80, 443]}' };
    assert.equal(await render('{% set y = getv("/y")|parseYAML %}{{ y.a }} {{ y.b|join(",") }}', tree), '1 x,y');
    assert.equal(await render('{% set j = getv("/j")|parseJSON %}{{ j.host }} {{ j.ports[1] }}', tree), 'h 443');
    assert.equal(await render('{{ "[1, 2, 3]"|parseYAMLArray|length }}'), '3');
  });
  it('empty input → null / []; a scalar is not an array; bad input errors', () => {
    assert.equal(d.parseYAML(''), null);
    assert.deepEqual(d.parseYAMLArray(''), []);
    assert.throws(() => d.parseYAMLArray('a: 1'), /parseYAMLArray: not a list/);
    assert.throws(() => d.parseYAML('a: [1'), /parseYAML: /);
  });
});

describe('toJSON / toPrettyJSON / toYAML', () => {
  it('toJSON sorts keys and escapes <>& like Go', async () => {
    assert.equal(d.toJSON({ b: 1, a: [true, null] }), '{"a":[true,null],"b":1}');
    assert.equal(d.toJSON({ h: '<a&b>' }), '{"h":"\\u003ca\\u0026b\\u003e"}');
    assert.equal(await render('{{ getv("/j")|parseJSON|toJSON }}', { '/j': '{"z": 1, "a": "x"}' }), '{"a":"x","z":1}');
  });
  it('toPrettyJSON indents with 4 spaces', () => {
    assert.equal(d.toPrettyJSON({ a: { b: 1 } }), '{\n    "a": {\n        "b": 1\n    }\n}');
  });
  it('keeps a "__proto__" key as data, not as a prototype', () => {
    const v = JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}');
    assert.equal(d.toJSON(v), '{"__proto__":{"polluted":1},"a":1}');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
  it('toYAML: Go-style (sorted keys, unindented sequences), optional indent', async () => {
    assert.equal(d.toYAML({ b: [1, 2], a: 'x' }), 'a: x\nb:\n- 1\n- 2\n');
    assert.equal(d.toYAML({ a: { b: 1 } }, 'indent=4'), 'a:\n    b: 1\n');
    assert.equal(d.toYAML({ a: { b: 1 } }, 3), 'a:\n   b: 1\n');
    assert.throws(() => d.toYAML({}, 'indent=x'), /toYAML: bad indent option/);
    assert.equal(await render('{{ m|toYAML:"indent=4" }}', {}, {}, { m: { k: { v: 1 } } }), 'k:\n    v: 1\n');
  });
});
