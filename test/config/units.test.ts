import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadReference, expandString, UnsetVariable } from '../../src/config/expand.ts';
import { formatPath, indexKeys } from '../../src/schema/locate.ts';
import { uidFromPasswd } from '../../src/config/owner.ts';
import { closest } from '../../src/schema/suggest.ts';

describe('key locator', () => {
  const TOML = [
    'top = "a # not a comment [x]"   # comment = 1', // 1
    '[[resource]]', // 2
    'name = "one"', // 3
    '[[resource.template]]', // 4
    '  src = """', // 5
    'multi [resource]', // 6
    'name = "fake"', // 7
    '"""', // 8
    '  dst = \'c:\\x\'', // 9
    '[[resource.template]]', // 10
    'keys = [', // 11
    '  "/a", # c', // 12
    '  "/b",', // 13
    ']', // 14
    '[resource.backend.etcd]', // 15
    'nodes = ["n1", "n2"]', // 16
    'wait = { min = "1s", max = { deep = 2 } }', // 17
    '[[resource]]', // 18
    'dotted.key . "quoted.part" = 0o644', // 19
    '[[resource.template]]', // 20
    "'lit key' = 1", // 21
  ].join('\n');
  const idx = indexKeys(TOML);
  const line = (p: (string | number)[]) => idx.find(p)?.line;

  it('resolves [[array]] indices per parent, dotted keys, inline tables and multi-line values', () => {
    assert.equal(line(['top']), 1);
    assert.equal(line(['resource', 0]), 2);
    assert.equal(line(['resource', 0, 'name']), 3);
    assert.equal(line(['resource', 0, 'template', 0]), 4);
    assert.equal(line(['resource', 0, 'template', 0, 'src']), 5);
    assert.equal(line(['resource', 0, 'template', 0, 'dst']), 9);
    assert.equal(line(['resource', 0, 'template', 1, 'keys']), 11);
    assert.equal(line(['resource', 0, 'template', 1, 'keys', 1]), 13);
    assert.equal(line(['resource', 0, 'backend', 'etcd']), 15);
    assert.equal(line(['resource', 0, 'backend', 'etcd', 'nodes', 1]), 16);
    assert.equal(idx.find(['resource', 0, 'backend', 'etcd', 'nodes', 1])?.column, 16);
    assert.equal(line(['resource', 0, 'backend', 'etcd', 'wait', 'max', 'deep']), 17);
    assert.equal(line(['resource', 1]), 18);
    assert.equal(line(['resource', 1, 'dotted', 'key', 'quoted.part']), 19);
    assert.equal(line(['resource', 1, 'template', 0]), 20);
    assert.equal(line(['resource', 1, 'template', 0, 'lit key']), 21);
    // Text inside strings that looks like TOML is not indexed.
    assert.equal(line(['resource', 0, 'template', 0, 'name']), undefined);
  });

  it('falls back to the nearest ancestor and exposes raw values', () => {
    assert.equal(idx.nearest(['resource', 0, 'template', 1, 'mode'])?.line, 10);
    assert.equal(idx.nearest([])?.line, 1);
    assert.equal(idx.rawValue(['resource', 1, 'dotted', 'key', 'quoted.part']), '0o644');
    assert.equal(idx.rawValue(['resource', 0, 'backend', 'etcd', 'wait', 'min']), '"1s"');
  });

  it('formats paths as users read them', () => {
    assert.equal(formatPath(['resource', 0, 'backend', 'etcd', 'nodes', 1]), 'resource[0].backend.etcd.nodes[1]');
    assert.equal(formatPath(['a', 'b.c']), 'a["b.c"]');
  });

  it('never throws on odd input', () => {
    assert.doesNotThrow(() => indexKeys('[[unterminated\nx = "'));
    assert.equal(indexKeys('a = 1\n[[b\n').find(['a'])?.line, 1);
  });
});

describe('expandString', () => {
  const env = { HOST: 'db', EMPTY: '' };
  it('follows the documented rules', () => {
    assert.equal(expandString('${HOST}:5432', env), 'db:5432');
    assert.equal(expandString('${PORT:-5432}', env), '5432');
    assert.equal(expandString('${EMPTY:-x}', env), 'x');
    assert.equal(expandString('${EMPTY}', env), '');
    assert.equal(expandString('${HOST:-x}', env), 'db');
    assert.equal(expandString('${PORT:-}', env), '');
    assert.equal(expandString('$$', env), '$');
    assert.equal(expandString('$${HOST}', env), '${HOST}');
    assert.equal(expandString('pa$word $HOST $ 5$', env), 'pa$word $HOST $ 5$');
    assert.equal(expandString('${A:-${B}', env), '${B');
  });
  it('throws typed errors for unset and malformed references', () => {
    assert.throws(() => expandString('x ${NOPE} y', env), (e: unknown) => e instanceof UnsetVariable && e.variable === 'NOPE');
    assert.throws(() => expandString('${HOST', env), BadReference);
    assert.throws(() => expandString('${9X}', env), BadReference);
  });
});

describe('helpers', () => {
  it('reads uids from passwd text', () => {
    const passwd = '# comment\nroot:x:0:0:root:/root:/bin/sh\nhaproxy:x:115:120::/var/lib/haproxy:/usr/sbin/nologin\n';
    assert.equal(uidFromPasswd(passwd, 'root'), 0);
    assert.equal(uidFromPasswd(passwd, 'haproxy'), 115);
    assert.equal(uidFromPasswd(passwd, 'hap'), undefined);
  });
  it('suggests by case, synonym, swap and small typos only', () => {
    const keys = ['src', 'dst', 'mode', 'watchKeys', 'reload_cmd'];
    assert.equal(closest('Src', keys), 'src');
    assert.equal(closest('dest', keys), 'dst');
    assert.equal(closest('perms', keys, new Map([['perms', 'mode']])), 'mode');
    assert.equal(closest('mdoe', keys), 'mode');
    assert.equal(closest('watchkey', keys), 'watchKeys');
    assert.equal(closest('completely_else', keys), undefined);
  });
});
