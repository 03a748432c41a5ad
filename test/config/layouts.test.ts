import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { envResource, load, rejectsConfig, writeTree } from './fixture.ts';

describe('include_dir (remco)', () => {
  const resourceFile = (dst: string, extra = '') =>
    `[[template]]\nsrc = "tpl/x.tmpl"\ndst = "${dst}"\n${extra}\n[backend.env]\nkeys = ["/x"]\n`;

  it('loads every *.toml as one resource and warns about other files', async (t) => {
    const dir = await writeTree(t, {
      'config.toml': 'include_dir = "resources.d"\n[default_backends.memory]\nkeys = ["/m"]\n',
      'resources.d/b.toml': `name = "bee"\nreload_cmd = ["systemctl", "reload", "b"]\n${resourceFile('/etc/b.conf')}`,
      'resources.d/a.toml': resourceFile('out/a.conf', 'mode = "0600"'),
      'resources.d/README': 'not a resource',
      'resources.d/tpl/x.tmpl': '{{ x }}',
    });
    const { config, warnings } = await load(dir);
    assert.equal(config.includeDir, join(dir, 'resources.d'));
    assert.deepEqual(config.resources.map((r) => r.name), ['a', 'bee']);
    const [a, b] = config.resources;
    // Relative paths resolve against the include file's own directory.
    assert.equal(a.templates[0].src, join(dir, 'resources.d/tpl/x.tmpl'));
    assert.equal(a.templates[0].dst, join(dir, 'resources.d/out/a.conf'));
    assert.equal(a.templates[0].mode, 0o600);
    assert.deepEqual(a.origin, { file: join(dir, 'resources.d/a.toml'), line: 1 });
    assert.deepEqual(b.reloadCmd, ['systemctl', 'reload', 'b']);
    // Defaults from the main file apply to included resources too.
    assert.deepEqual(a.backends.map((x) => x.kind), ['memory', 'env']);
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.ok(warnings.some((w) => w.includes(join(dir, 'resources.d/README')) && w.includes('*.toml')));
    assert.ok(warnings.every((w) => w.startsWith(`${join(dir, 'config.toml')}:1: include_dir:`)), warnings.join('\n'));
  });

  it('reports errors inside an included file at that file and line', async (t) => {
    const dir = await writeTree(t, {
      'config.toml': 'include_dir = "inc"\n',
      'inc/web.toml': resourceFile('/etc/web.conf', 'dest = "/x"'),
      'inc/tpl/x.tmpl': '',
    });
    await rejectsConfig(load(dir), { file: join(dir, 'inc/web.toml'), line: 4, key: 'template[0].dest', includes: ['did you mean "dst"?'] });
  });

  it('explains a kept [[resource]] prefix and skips the main file when include_dir is its own directory', async (t) => {
    const dir = await writeTree(t, {
      'config.toml': 'include_dir = "."\n',
      'web.toml': `[[resource]]\n${resourceFile('/etc/web.conf')}`,
    });
    await rejectsConfig(load(dir), { file: join(dir, 'web.toml'), line: 1, key: 'resource', includes: ['without the [[resource]] prefix'] });
    const ok = await writeTree(t, { 'config.toml': 'include_dir = "."\n', 'web.toml': resourceFile('/etc/web.conf'), 'tpl/x.tmpl': '' });
    assert.deepEqual((await load(ok)).config.resources.map((r) => r.name), ['web']);
  });

  it('fails on a missing include_dir, pointing at the key', async (t) => {
    const dir = await writeTree(t, { 'config.toml': `include_dir = "nope"\n${envResource()}`, 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 1, key: 'include_dir', includes: ['cannot read directory', 'ENOENT'] });
  });
});

describe('confdir (confd layout)', () => {
  const MAIN = 'confdir = "confd"\n[default_backends.env]\nprefix = "/base"\nkeys = ["/ignored"]\nwatch = true\n';
  const confdFile = (extra = '') =>
    `[template]\nsrc = "haproxy.cfg.tmpl"\ndest = "/etc/haproxy/haproxy.cfg"\nkeys = ["/services", "/config"]\nprefix = "/svc"\n${extra}\n`;

  it('loads conf.d/**/*.toml with src under templates/ and backends from default_backends', async (t) => {
    const dir = await writeTree(t, {
      'config.toml': MAIN,
      'confd/conf.d/haproxy.toml': confdFile('mode = "0644"\nowner = "haproxy"\ngid = 99\ncheck_cmd = "haproxy -c -f {{.src}}"\nreload_cmd = "sv reload haproxy"'),
      'confd/conf.d/nested/other.toml': '[template]\nsrc = "other.tmpl"\ndest = "other.conf"\nkeys = ["/o"]\nuid = 7\n',
      'confd/conf.d/notes.txt': '',
      'confd/templates/haproxy.cfg.tmpl': '',
      'confd/templates/other.tmpl': '',
    });
    const lookupUser = async (name: string) => (name === 'haproxy' ? 115 : undefined);
    const { config, warnings } = await load(dir, {}, { lookupUser });
    assert.equal(config.confDir, join(dir, 'confd'));
    assert.deepEqual(config.resources.map((r) => r.name), ['haproxy', 'nested/other']);
    const [h, o] = config.resources;
    const tpl = h.templates[0];
    assert.deepEqual(
      [tpl.src, tpl.dst, tpl.mode, tpl.uid, tpl.gid, tpl.checkCmd, tpl.reloadCmd],
      [join(dir, 'confd/templates/haproxy.cfg.tmpl'), '/etc/haproxy/haproxy.cfg', 0o644, 115, 99, 'haproxy -c -f {{.src}}', 'sv reload haproxy'],
    );
    const b = h.backends[0];
    assert.deepEqual([b.kind, b.prefix, b.keys, b.watchKeys, b.watch], ['env', '/base/svc', ['/services', '/config'], ['/services', '/config'], true]);
    assert.equal(o.templates[0].uid, 7);
    assert.equal(o.templates[0].dst, join(dir, 'confd/conf.d/nested/other.conf'));
    assert.deepEqual(o.backends[0].keys, ['/o']);
    assert.equal(o.backends[0].prefix, '/base');
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0].includes('notes.txt'));
  });

  it('resolves numeric owners and rejects unknown users and disagreeing uids', async (t) => {
    const files = (extra: string) => ({ 'config.toml': MAIN, 'confd/conf.d/h.toml': confdFile(extra), 'confd/templates/haproxy.cfg.tmpl': '' });
    const lookupUser = async () => undefined;
    let dir = await writeTree(t, files('owner = "1234"'));
    assert.equal((await load(dir, {}, { lookupUser })).config.resources[0].templates[0].uid, 1234);
    dir = await writeTree(t, files('owner = "nosuchuser"'));
    await rejectsConfig(load(dir, {}, { lookupUser }), { file: join(dir, 'confd/conf.d/h.toml'), line: 6, key: 'template.owner', includes: ['unknown user "nosuchuser"'] });
    dir = await writeTree(t, files('owner = 5\nuid = 6'));
    await rejectsConfig(load(dir, {}, { lookupUser }), { line: 6, includes: ['disagrees'] });
  });

  it('needs default_backends and the confd key spellings', async (t) => {
    let dir = await writeTree(t, { 'config.toml': 'confdir = "c"\n', 'c/conf.d/h.toml': confdFile(), 'c/templates/haproxy.cfg.tmpl': '' });
    await rejectsConfig(load(dir), { line: 1, key: 'template', includes: ['[default_backends.<kind>]', join(dir, 'config.toml')] });
    dir = await writeTree(t, { 'config.toml': MAIN, 'confd/conf.d/h.toml': '[template]\nsrc = "haproxy.cfg.tmpl"\ndst = "/x"\nkeys = ["/a"]\n', 'confd/templates/haproxy.cfg.tmpl': '' });
    await rejectsConfig(load(dir), { line: 3, key: 'template.dst', includes: ['did you mean "dest"?'] });
    dir = await writeTree(t, { 'config.toml': MAIN, 'confd/conf.d/h.toml': confdFile(), 'confd/templates/other.tmpl': '' });
    await rejectsConfig(load(dir), { line: 2, key: 'template.src', includes: ['template file not found', join(dir, 'confd/templates/haproxy.cfg.tmpl')] });
  });
});
