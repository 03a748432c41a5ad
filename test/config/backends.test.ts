import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackendDefinition } from '../../src/backends/contract.ts';
import { defaultRegistry } from '../../src/config/load.ts';
import { load, rejectsConfig, writeTree } from './fixture.ts';

const tpl = (name: string) => `[[resource]]\nname = "${name}"\n[[resource.template]]\nsrc = "t.tmpl"\ndst = "${name}.out"\n`;

describe('default_backends', () => {
  const DEFAULTS = [
    '[default_backends.env]',
    'keys = ["/shared"]',
    'prefix = "base"',
    'watch = true',
    'interval = 5',
    '[default_backends.memory]',
    'keys = ["/m"]',
    'values = { "/m/a" = "1", "/m/b" = "2" }',
    '',
  ].join('\n');

  it('are copied into every resource and overlaid key by key', async (t) => {
    const toml = [
      DEFAULTS,
      tpl('plain'),
      tpl('keys'),
      '[resource.backend.env]',
      'keys = ["/own"]',
      tpl('nowatch'),
      '[resource.backend.env]',
      'watch = false',
      '[resource.backend.memory]',
      'values = { "/m/b" = "3" }',
      tpl('extra'),
      '[resource.backend.file]',
      'keys = ["/f"]',
      'filepath = "data.yaml"',
    ].join('\n');
    const dir = await writeTree(t, { 'config.toml': toml, 't.tmpl': '' });
    const [plain, keys, nowatch, extra] = (await load(dir)).config.resources;

    assert.deepEqual(plain.backends.map((b) => b.kind), ['env', 'memory']);
    const env = plain.backends[0];
    assert.deepEqual([env.prefix, env.keys, env.watchKeys, env.watch, env.intervalMs], ['/base', ['/shared'], ['/shared'], true, 5000]);
    assert.deepEqual(plain.backends[1].options, { values: { '/m/a': '1', '/m/b': '2' } });

    assert.deepEqual(keys.backends[0].keys, ['/own']);
    assert.equal(keys.backends[0].prefix, '/base');
    assert.equal(keys.backends[0].watch, true);

    // An explicit `false` overrides a default `true` (remco's mergo merge could not do that).
    assert.equal(nowatch.backends[0].watch, false);
    assert.equal(nowatch.backends[0].intervalMs, 5000);
    assert.deepEqual(nowatch.backends[1].options, { values: { '/m/a': '1', '/m/b': '3' } });

    assert.deepEqual(extra.backends.map((b) => b.kind), ['env', 'memory', 'file']);
    assert.deepEqual(extra.backends[2].options, { files: ['data.yaml'] });
  });

  it('never share mutable config between resources', async (t) => {
    const dir = await writeTree(t, { 'config.toml': [DEFAULTS, tpl('a'), tpl('b')].join('\n'), 't.tmpl': '' });
    const { config } = await load(dir);
    const [a, b] = config.resources;
    const values = (r: typeof a, i: number) => (r.backends[i].options as { values: Record<string, string> }).values;
    assert.notEqual(a.backends[0], b.backends[0]);
    assert.notEqual(a.backends[0].keys, b.backends[0].keys);
    assert.notEqual(a.backends[1].options, b.backends[1].options);
    assert.notEqual(values(a, 1), values(b, 1));
    assert.deepEqual(a.backends[1].options, b.backends[1].options);
    // The result is deeply frozen: a consumer cannot mutate a resource's config, let alone another's.
    assert.ok(Object.isFrozen(config) && Object.isFrozen(values(a, 1)));
    assert.throws(() => {
      values(a, 1)['/m/a'] = 'changed';
    }, TypeError);
    assert.throws(() => (a.backends[0].keys as unknown as string[]).push('/x'), TypeError);
    assert.equal(values(b, 1)['/m/a'], '1');
    // Loading twice gives independent objects too.
    const again = (await load(dir)).config;
    assert.notEqual(values(again.resources[0], 1), values(a, 1));
  });

  it('report errors in the defaults at their own line', async (t) => {
    const dir = await writeTree(t, { 'config.toml': `[default_backends.env]\nkeys = ["/a"]\nwatchkeys = ["/b"]\n${tpl('a')}`, 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 3, key: 'default_backends.env.watchkeys', includes: ['did you mean "watchKeys"?'] });
  });
});

describe('backend blocks', () => {
  const one = (block: string) => `${tpl('a')}${block}\n`;

  it('validate kind-specific options against the registry (unknown option → did you mean)', async (t) => {
    assert.ok(defaultRegistry().find('file'), 'the file backend is registered');
    const dir = await writeTree(t, { 'config.toml': one('[resource.backend.file]\nkeys = ["/a"]\nfilepaht = "x.yaml"'), 't.tmpl': '' });
    await rejectsConfig(load(dir), {
      line: 8,
      key: 'resource[0].backend.file.filepaht',
      includes: ['unknown key "filepaht" for backend "file"', 'did you mean "filepath"?', 'file options: filepath'],
    });
  });

  it('reject a wrong option type without echoing the value', async (t) => {
    let dir = await writeTree(t, { 'config.toml': one('[resource.backend.file]\nkeys = ["/a"]\nfilepath = 5'), 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 8, key: 'resource[0].backend.file.filepath', includes: ['expected a path, got an integer'] });
    const secret: BackendDefinition = {
      kind: 'etcd',
      description: 'test',
      options: { title: 'test', keys: { password: { type: 'string', description: 'pw', secret: true } } },
      finish: (values) => values,
      create() {
        throw new Error('not used');
      },
    };
    const registry = { find: (k: string) => (k === 'etcd' ? secret : undefined), kinds: () => ['etcd'] };
    dir = await writeTree(t, { 'config.toml': one('[resource.backend.etcd]\nkeys = ["/a"]\npassword = ["hunter2"]'), 't.tmpl': '' });
    const err = await rejectsConfig(load(dir, {}, { registry }), { line: 8, includes: ['expected a string, got an array'] });
    assert.ok(!err.message.includes('hunter2'));
  });

  it('use an injected registry', async (t) => {
    const custom: BackendDefinition = {
      kind: 'rancher',
      description: 'test',
      options: { title: 'test', keys: { url: { type: 'string', description: 'metadata url' }, long_poll: { type: 'integer', description: 's' } } },
      finish: (values) => values,
      create() {
        throw new Error('not used');
      },
    };
    const registry = { find: (k: string) => (k === 'rancher' ? custom : undefined), kinds: () => ['rancher'] };
    const dir = await writeTree(t, { 'config.toml': one('[resource.backend.rancher]\nkeys = ["/self"]\nurl = "http://m"\nlong_poll = 30'), 't.tmpl': '' });
    const b = (await load(dir, {}, { registry })).config.resources[0].backends[0];
    assert.deepEqual([b.kind, b.options], ['rancher', { url: 'http://m', long_poll: 30 }]);
    const bad = await writeTree(t, { 'config.toml': one('[resource.backend.env]\nkeys = ["/a"]'), 't.tmpl': '' });
    await rejectsConfig(load(bad, {}, { registry }), { line: 6, includes: ['unknown backend kind "env" (known: rancher)'] });
  });

  it('reject an unknown kind with a suggestion', async (t) => {
    const dir = await writeTree(t, { 'config.toml': one('[resource.backend.etdc]\nkeys = ["/a"]'), 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 6, key: 'resource[0].backend.etdc', includes: ['unknown backend kind "etdc"', 'did you mean "etcd"?'] });
  });

  it('default interval, watch and onetime like remco', async (t) => {
    const cases: [string, number | undefined][] = [
      ['', 60_000],
      ['interval = 0', 60_000],
      ['watch = true', undefined],
      ['onetime = true', undefined],
      ['watch = true\ninterval = "2s"', 2000],
      ['interval = 1.5', 1500],
    ];
    for (const [extra, want] of cases) {
      const dir = await writeTree(t, { 'config.toml': one(`[resource.backend.env]\nkeys = ["/a"]\n${extra}`), 't.tmpl': '' });
      assert.equal((await load(dir)).config.resources[0].backends[0].intervalMs, want, extra);
    }
    const dir = await writeTree(t, { 'config.toml': one('[resource.backend.env]\nkeys = ["/a"]\nwatch = true\nonetime = true'), 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 6, includes: ['watch and onetime'] });
  });

  it('normalize prefixes and keys, and require keys', async (t) => {
    let dir = await writeTree(t, { 'config.toml': one('[resource.backend.env]\nprefix = "app/"\nkeys = ["services/", "//config"]'), 't.tmpl': '' });
    const b = (await load(dir)).config.resources[0].backends[0];
    assert.deepEqual([b.prefix, b.keys], ['/app', ['/services', '/config']]);
    dir = await writeTree(t, { 'config.toml': one('[resource.backend.env]\nwatch = true'), 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 6, key: 'resource[0].backend.env', includes: ['has no keys'] });
    dir = await writeTree(t, { 'config.toml': one('[resource.backend.env]\nkeys = "/a"'), 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 7, includes: ['array of strings'] });
  });

  it('require unique instance names within a resource', async (t) => {
    const dir = await writeTree(t, {
      'config.toml': one('[resource.backend.env]\nkeys = ["/a"]\nname = "x"\n[resource.backend.memory]\nkeys = ["/a"]\nname = "x"'),
      't.tmpl': '',
    });
    await rejectsConfig(load(dir), { line: 11, key: 'resource[0].backend.memory.name', includes: ['used twice'] });
  });
});
