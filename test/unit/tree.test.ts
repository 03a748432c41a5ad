import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyNotFoundError } from '../../src/errors.ts';
import { compileSegment } from '../../src/glob.ts';
import { isUnder, normalizeKey, stripPrefix } from '../../src/keys.ts';
import { MemoryTree } from '../../src/tree.ts';

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
