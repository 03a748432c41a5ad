import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sprintf } from '../../src/template/printf.ts';
import { render } from './render.ts';

describe('printf (Go fmt.Sprintf)', () => {
  const cases: [string, unknown[], string][] = [
    ['/config/%s/scheme', ['redis'], '/config/redis/scheme'],
    ['%d', [42], '42'],
    ['%d', [-7], '-7'],
    ['%v', ['x'], 'x'],
    ['%v', [3], '3'],
    ['%v', [1.5], '1.5'],
    ['%v', [true], 'true'],
    ['%v', [['a', 'b']], '[a b]'],
    ['%v', [null], '<nil>'],
    ['%v', [{ b: 2, a: 1 }], 'map[a:1 b:2]'],
    ['%v', [{ Key: '/k', Value: 'v', key: '/k', value: 'v' }], '{/k v}'],
    ['%q', ['a"b'], '"a\\"b"'],
    ['%x', [255], 'ff'],
    ['%X', [255], 'FF'],
    ['%x', ['hi'], '6869'],
    ['%X', ['hi'], '6869'],
    ['%#x', [255], '0xff'],
    ['%f', [3.14159], '3.141590'],
    ['%.2f', [3.14159], '3.14'],
    ['%8.3f', [3.14159], '   3.142'],
    ['%e', [1234.5], '1.234500e+03'],
    ['%g', [0.5], '0.5'],
    ['%5s', ['ab'], '   ab'],
    ['%-5s|', ['ab'], 'ab   |'],
    ['%.1s', ['abc'], 'a'],
    ['%05d', [42], '00042'],
    ['%05d', [-42], '-0042'],
    ['%+d', [5], '+5'],
    ['%t', [false], 'false'],
    ['%c', [65], 'A'],
    ['%b', [5], '101'],
    ['%o', [8], '10'],
    ['100%%', [], '100%'],
    ['%s-%s', ['a', 'b'], 'a-b'],
  ];
  for (const [fmt, args, want] of cases) {
    it(`${fmt} ${JSON.stringify(args)} → ${want}`, () => assert.equal(sprintf(fmt, ...args), want));
  }

  it('reports Go-style markers for wrong types, missing and extra arguments', () => {
    assert.equal(sprintf('%d', 'abc'), '%!d(string=abc)');
    assert.equal(sprintf('%s', 5), '%!s(int=5)');
    assert.equal(sprintf('%t', 'x'), '%!t(string=x)');
    assert.equal(sprintf('%s %s', 'a'), 'a %!s(MISSING)');
    assert.equal(sprintf('%s', 'a', 'b'), 'a%!(EXTRA string=b)');
    assert.equal(sprintf('%z', 1), '%!z(int=1)');
    assert.equal(sprintf('50%'), '50%!(NOVERB)');
  });

  it('is callable from templates with pongo2 spacing, nested in exists()', async () => {
    const out = await render('{{ printf ("%s:%d", "h", 80) }} {{ exists (printf ("/config/%s/scheme", dir )) }}', { '/config/a/scheme': 'http' }, {}, { dir: 'a' });
    assert.equal(out, 'h:80 true');
  });
});
