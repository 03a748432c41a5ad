import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyNotFoundError } from '../../src/errors.ts';
import { compileSegment } from '../../src/tree/glob.ts';
import { isUnder, normalizeKey, stripPrefix } from '../../src/tree/keys.ts';
import { MemoryTree } from '../../src/tree/tree.ts';

const sample = () =>
  new MemoryTree([
    ['/services/redis/h1:r1:6379', '10.0.0.1:6379'],
    ['/services/redis/h2:r2:6379', '10.0.0.2:6379'],
    ['/services/redis_test/h1:rt:6380', '10.0.0.3:6380'],
    ['/services/web/h1:w:80', '10.0.0.9:80'],
    ['/config/redis/scheme', 'tcp'],
    ['/config/web/scheme', 'http'],
    ['/flag', 'on'],
  ]);

describe('keys', () => {
  it('normalizes leading, trailing and double slashes', () => {
    assert.equal(normalizeKey('a//b/'), '/a/b');
    assert.equal(normalizeKey(''), '/');
    assert.equal(normalizeKey('///'), '/');
    assert.equal(normalizeKey('/a/b'), '/a/b');
  });
  it('isUnder respects segment boundaries', () => {
    assert.equal(isUnder('/app/x', '/app'), true);
    assert.equal(isUnder('/app', '/app'), true);
    assert.equal(isUnder('/application', '/app'), false);
    assert.equal(isUnder('/anything', '/'), true);
    assert.equal(stripPrefix('/p/a/b', '/p'), '/a/b');
    assert.equal(stripPrefix('/p', '/p'), '/');
  });
});

describe('glob segments (Go path.Match)', () => {
  it('matches *, ?, classes and escapes within one segment', () => {
    assert.equal(compileSegment('*')('abc'), true);
    assert.equal(compileSegment('a?c')('abc'), true);
    assert.equal(compileSegment('a?c')('ac'), false);
    assert.equal(compileSegment('[a-c]x')('bx'), true);
    assert.equal(compileSegment('[^a-c]x')('bx'), false);
    assert.equal(compileSegment('\\*')('*'), true);
    assert.equal(compileSegment('\\*')('a'), false);
    assert.throws(() => compileSegment('[ab'));
  });
});

describe('MemoryTree lookups', () => {
  it('get returns Key/Value and key/value, and throws on a missing key', () => {
    const t = sample();
    const p = t.get('/config/web/scheme');
    assert.deepEqual([p.key, p.value, p.Key, p.Value], ['/config/web/scheme', 'http', '/config/web/scheme', 'http']);
    assert.throws(() => t.get('/nope'), KeyNotFoundError);
  });
  it('getv returns the default only when the key is absent', () => {
    const t = sample();
    assert.equal(t.getv('/flag', 'x'), 'on');
    assert.equal(t.getv('/missing', 'x'), 'x');
    assert.equal(t.getv('/missing', ''), '');
    assert.throws(() => t.getv('/missing'), /key does not exist: \/missing/);
  });
  it('gets matches one level per *, sorted by key; empty dir gives []', () => {
    const t = sample();
    assert.deepEqual(
      t.gets('/services/redis/*').map((p) => p.key),
      ['/services/redis/h1:r1:6379', '/services/redis/h2:r2:6379'],
    );
    assert.deepEqual(t.gets('/services/*/*').length, 4);
    assert.deepEqual(t.gets('/services/none/*'), []);
    assert.deepEqual(t.gets('/config/*/scheme').map((p) => p.value), ['tcp', 'http']);
    assert.deepEqual(t.gets('/flag').map((p) => p.value), ['on']);
  });
  it('getvs sorts by value, not key', () => {
    const t = new MemoryTree([['/a/1', 'zeta'], ['/a/2', 'alpha'], ['/a/3', 'mid']]);
    assert.deepEqual(t.getvs('/a/*'), ['alpha', 'mid', 'zeta']);
  });
  it('ls lists children sorted; lsdir only those with children', () => {
    const t = sample();
    assert.deepEqual(t.ls('/services'), ['redis', 'redis_test', 'web']);
    assert.deepEqual(t.ls('/'), ['config', 'flag', 'services']);
    assert.deepEqual(t.lsdir('/'), ['config', 'services']);
    assert.deepEqual(t.ls('/config/web/scheme'), ['scheme']);
    assert.deepEqual(t.lsdir('/config/web'), []);
    assert.deepEqual(t.ls('/absent'), []);
  });
  it('a key can be a value and a directory at once', () => {
    const t = new MemoryTree([['/a', '1'], ['/a/b', '2']]);
    assert.deepEqual(t.ls('/a'), ['a', 'b']);
    assert.deepEqual(t.lsdir('/'), ['a']);
    assert.deepEqual(t.toObject(), { a: { b: '2', _value: '1' } });
  });
  it('exists and toObject', () => {
    const t = sample();
    assert.equal(t.exists('/config/web/scheme'), true);
    assert.equal(t.exists('/config/web'), false);
    assert.deepEqual(t.toObject('/config'), { redis: { scheme: 'tcp' }, web: { scheme: 'http' } });
  });
});

describe('MemoryTree incremental updates', () => {
  it('set/delete keep the directory index exact', () => {
    const t = sample();
    t.delete('/services/web/h1:w:80');
    assert.deepEqual(t.ls('/services'), ['redis', 'redis_test']);
    t.set('/services/web/h2:w:80', '10.0.0.10:80');
    assert.deepEqual(t.ls('/services'), ['redis', 'redis_test', 'web']);
    assert.equal(t.set('/services/web/h2:w:80', '10.0.0.10:80'), false, 'same value is no change');
    assert.equal(t.delete('/nope'), false);
    t.deleteTree('/services/redis');
    assert.deepEqual(t.ls('/services'), ['redis_test', 'web']);
    assert.equal(t.size, 5);
  });
  it('a tree built by deltas equals one built at once', () => {
    const a = new MemoryTree();
    const final = new Map<string, string>();
    for (let i = 0; i < 2000; i++) {
      const k = `/s/svc${i % 37}/i${i % 11}`;
      if (i % 3 === 0) {
        a.delete(k);
        final.delete(k);
      } else {
        a.set(k, `v${i}`);
        final.set(k, `v${i}`);
      }
    }
    const b = new MemoryTree(final);
    assert.deepEqual(a.entries(), b.entries());
    assert.deepEqual(a.ls('/s'), b.ls('/s'));
    assert.deepEqual(a.lsdir('/s'), b.lsdir('/s'));
    assert.deepEqual(a.gets('/s/*/*'), b.gets('/s/*/*'));
  });
});

/** Go path.Match over whole keys, segment by segment, checked against every key (no index). */
function bruteGlob(t: MemoryTree, pattern: string): string[] {
  const pat = normalizeKey(pattern).split('/').slice(1);
  return [...t.toMap().keys()]
    .filter((k) => {
      const segs = k.split('/').slice(1);
      return segs.length === pat.length && pat.every((p, i) => compileSegment(p)(segs[i]));
    })
    .sort();
}

describe('MemoryTree caches', () => {
  const rng = (seed: number) => () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  it('gets/getvs (the dir/* fast path and the general walk) equal a brute-force glob on random trees, across updates', () => {
    const next = rng(42);
    const pick = <T>(xs: readonly T[]) => xs[next() % xs.length];
    const names = ['a', 'b', 'ab', 'a-b', 'svc1', 'svc10', 'svc2', 'x:1:80'];
    const segs = [...names, '*', '?', 'a*', '[ab]', '[^a]*', 'svc*', '*1'];
    const t = new MemoryTree();
    for (let step = 0; step < 3000; step++) {
      const depth = 1 + (next() % 3);
      const key = Array.from({ length: depth }, () => `/${pick(names)}`).join('');
      if (next() % 4 === 0) t.delete(key);
      else t.set(key, `v${next() % 7}`);
      const pdepth = 1 + (next() % 3);
      const pattern = Array.from({ length: pdepth }, (_, i) => `/${i === pdepth - 1 ? pick(segs) : pick(names)}`).join('');
      for (const p of [pattern, pattern.replace(/[^/]*$/, '*'), `/*${pattern}`]) {
        const want = bruteGlob(t, p);
        assert.deepEqual(t.gets(p).map((x) => x.key), want, p);
        assert.deepEqual(t.gets(p).map((x) => x.value), want.map((k) => t.getv(k)), p);
        assert.deepEqual(t.getvs(p), want.map((k) => t.getv(k)).sort(), p);
      }
    }
  });
  it('lsdir, ls and entries follow updates below the directory', () => {
    const t = new MemoryTree([['/s/a/1', 'x']]);
    assert.deepEqual(t.lsdir('/s'), ['a']);
    assert.deepEqual(t.gets('/s/a/*').map((p) => p.value), ['x']);
    t.set('/s/b', 'leaf');
    assert.deepEqual(t.lsdir('/s'), ['a'], 'a leaf is not a dir');
    t.set('/s/b/c/d', 'deep');
    assert.deepEqual(t.lsdir('/s'), ['a', 'b'], 'a key below a leaf makes it a dir');
    t.set('/s/a/1', 'y');
    assert.deepEqual(t.gets('/s/a/*').map((p) => p.value), ['y'], 'a changed value is seen');
    t.set('/s/a/0', 'z');
    assert.deepEqual(t.gets('/s/a/*').map((p) => p.key), ['/s/a/0', '/s/a/1']);
    t.deleteTree('/s/a');
    assert.deepEqual(t.lsdir('/s'), ['b']);
    assert.deepEqual(t.gets('/s/a/*'), []);
    assert.deepEqual(t.entries().map((p) => p.key), ['/s/b', '/s/b/c/d']);
    t.clear();
    assert.deepEqual([t.lsdir('/s'), t.ls('/s'), t.gets('/s/*'), t.entries()], [[], [], [], []]);
  });
  it('returned arrays and pairs are the caller\'s own: mutating them never changes later answers', () => {
    const t = new MemoryTree([['/s/a', '1'], ['/s/b', '2'], ['/d/x/y', '3']]);
    for (let round = 0; round < 2; round++) {
      const ls = t.ls('/s');
      const lsdir = t.lsdir('/');
      const gets = t.gets('/s/*');
      const getvs = t.getvs('/s/*');
      const entries = t.entries();
      ls.reverse();
      lsdir.push('zz');
      (gets[0] as { value: string }).value = 'changed';
      gets.pop();
      getvs.length = 0;
      entries.splice(0);
    }
    assert.deepEqual(t.ls('/s'), ['a', 'b']);
    assert.deepEqual(t.lsdir('/'), ['d', 's']);
    assert.deepEqual(t.gets('/s/*').map((p) => [p.key, p.value]), [['/s/a', '1'], ['/s/b', '2']]);
    assert.deepEqual(t.getvs('/s/*'), ['1', '2']);
    assert.equal(t.entries().length, 3);
  });
  it('a malformed class fails exactly when a segment walk would reach it', () => {
    const t = new MemoryTree([['/a/b', '1']]);
    assert.throws(() => t.gets('/a/[x'), /syntax error in pattern/);
    assert.throws(() => t.gets('/[x'), /syntax error in pattern/);
    assert.throws(() => new MemoryTree().gets('/[x'), /syntax error in pattern/);
    assert.deepEqual(t.gets('/nope/[x'), [], 'never reached: no such directory');
    assert.deepEqual(t.gets('/nope/*/[x'), []);
    assert.throws(() => t.gets('/a/b/[x'), /syntax error in pattern/, '/a/b exists (as a key), so the walk reaches it');
  });
});
