import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { envResource, load, rejectsConfig, writeTree } from './fixture.ts';

/** The remco config from the registrator/etcd HAProxy example, verbatim except for `src`
 *  (the example's absolute /etc/remco/templates path → a file in the test's temp dir). */
const SEED = `################################################################
# Global configuration
################################################################
log_level = "debug"
log_format = "text"

[[resource]]
name = "haproxy"

[[resource.template]]
  src = "templates/haproxy.tmpl"
  dst = "/etc/haproxy/haproxy.cfg"
  reload_cmd 	  = "haproxy -f {{.dst}} -p /var/run/haproxy.pid -D -sf \`cat /var/run/haproxy.pid\`"

  [resource.backend]
    [resource.backend.etcd]
      nodes = ["\${ETCD_NODE}"]
      keys = ["/services", "/config"]
      watchKeys = ["/haproxy/reload"]
      watch = true
      interval = 60
`;

describe('seed remco config', () => {
  it('parses into the normalized shape', async (t) => {
    const dir = await writeTree(t, { 'config.toml': SEED, 'templates/haproxy.tmpl': 'global\n' });
    const { config, warnings } = await load(dir, { ETCD_NODE: 'http://10.0.0.5:2379' });
    assert.deepEqual(warnings, []);
    assert.equal(config.file, join(dir, 'config.toml'));
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.logFormat, 'text');
    assert.equal(config.resources.length, 1);
    const [r] = config.resources;
    assert.equal(r.name, 'haproxy');
    assert.deepEqual(r.debounce, { minMs: 0, maxMs: 0 });
    assert.equal(r.reloadTimeoutMs, 30_000);
    assert.deepEqual(r.origin, { file: join(dir, 'config.toml'), line: 7 });
    const [tpl] = r.templates;
    assert.equal(tpl.src, join(dir, 'templates/haproxy.tmpl'));
    assert.equal(tpl.dst, '/etc/haproxy/haproxy.cfg');
    assert.equal(tpl.reloadCmd, 'haproxy -f {{.dst}} -p /var/run/haproxy.pid -D -sf `cat /var/run/haproxy.pid`');
    assert.equal(tpl.checkCmd, undefined);
    assert.equal(tpl.mode, undefined);
    assert.equal(tpl.checkTimeoutMs, 30_000);
    assert.equal(tpl.makeDirectories, false);
    assert.equal(r.backends.length, 1);
    const [b] = r.backends;
    assert.equal(b.kind, 'etcd');
    assert.equal(b.name, 'etcd');
    assert.equal(b.prefix, '/');
    assert.deepEqual(b.keys, ['/services', '/config']);
    assert.deepEqual(b.watchKeys, ['/haproxy/reload']);
    assert.equal(b.watch, true);
    assert.equal(b.onetime, false);
    assert.equal(b.intervalMs, 60_000);
    assert.deepEqual(b.options, { nodes: ['http://10.0.0.5:2379'], version: 'auto', requestTimeoutMs: 10_000, longPollMs: 60_000, watchdogMs: 10_000 });
    assert.deepEqual(b.origin, { file: join(dir, 'config.toml'), line: 16 });
  });

  it('names ETCD_NODE, the file and the line when it is unset', async (t) => {
    const dir = await writeTree(t, { 'config.toml': SEED, 'templates/haproxy.tmpl': 'global\n' });
    await rejectsConfig(load(dir, {}), {
      file: join(dir, 'config.toml'),
      line: 17,
      key: 'resource[0].backend.etcd.nodes[0]',
      includes: ['ETCD_NODE', 'not set', '${ETCD_NODE:-'],
    });
  });
});

describe('strict validation', () => {
  it('rejects an unknown key with file:line, key path and a suggestion (dest → dst)', async (t) => {
    const toml = envResource('dest = "/tmp/x"');
    const dir = await writeTree(t, { 'config.toml': toml, 't.tmpl': '' });
    await rejectsConfig(load(dir), {
      line: 7,
      key: 'resource[0].template[0].dest',
      includes: [`${join(dir, 'config.toml')}:7`, 'unknown key "dest"', 'did you mean "dst"?'],
    });
  });

  it('suggests the closest key for a typo and the canonical case', async (t) => {
    const dir = await writeTree(t, { 'config.toml': envResource('reload_cdm = "x"'), 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 7, includes: ['did you mean "reload_cmd"?'] });
    const dir2 = await writeTree(t, { 'config.toml': `log_levle = "info"\n${envResource()}`, 't.tmpl': '' });
    await rejectsConfig(load(dir2), { line: 1, key: 'log_levle', includes: ['did you mean "log_level"?'] });
  });

  it('explains unsupported remco keys', async (t) => {
    const dir = await writeTree(t, { 'config.toml': `filter_dir = "/f"\n${envResource()}`, 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 1, key: 'filter_dir', includes: ['not supported'] });
  });

  it('reports bad TOML with file:line:column', async (t) => {
    const dir = await writeTree(t, { 'config.toml': 'log_level = "info"\n[[resource]]\nname = \n', 't.tmpl': '' });
    const err = await rejectsConfig(load(dir), { line: 3, includes: ['invalid TOML'] });
    assert.equal(typeof err.column, 'number');
    assert.ok(err.message.startsWith(`${join(dir, 'config.toml')}:3:`));
  });

  it('rejects a wrong type, naming the key', async (t) => {
    const dir = await writeTree(t, { 'config.toml': envResource('make_directories = "maybe"'), 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 7, key: 'resource[0].template[0].make_directories', includes: ['expected true or false'] });
  });

  it('asks for [[double brackets]] when an array of tables is written as a table', async (t) => {
    const toml = '[[resource]]\nname = "a"\n[resource.template]\nsrc = "t.tmpl"\ndst = "o"\n[resource.backend.env]\nkeys = ["/a"]\n';
    const dir = await writeTree(t, { 'config.toml': toml, 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 3, key: 'resource[0].template', includes: ['[[…template]]'] });
  });

  it('reports a missing template file at its src line', async (t) => {
    const dir = await writeTree(t, { 'config.toml': envResource() });
    await rejectsConfig(load(dir), {
      line: 5,
      key: 'resource[0].template[0].src',
      includes: ['template file not found', join(dir, 't.tmpl')],
    });
  });

  it('requires a backend, a template and at least one resource', async (t) => {
    const noBackend = '[[resource]]\nname = "a"\n[[resource.template]]\nsrc = "t.tmpl"\ndst = "o"\n';
    let dir = await writeTree(t, { 'config.toml': noBackend, 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 1, key: 'resource[0]', includes: ['no backend'] });
    dir = await writeTree(t, { 'config.toml': '[[resource]]\nname = "a"\n[resource.backend.env]\nkeys = ["/a"]\n' });
    await rejectsConfig(load(dir), { line: 1, includes: ['missing required key "template"'] });
    dir = await writeTree(t, { 'config.toml': 'log_level = "info"\n' });
    await rejectsConfig(load(dir), { includes: ['no resources'] });
    await rejectsConfig(load(join(dir, 'missing')), { file: join(dir, 'missing/config.toml'), includes: ['cannot read config file', 'ENOENT'] });
  });

  it('rejects duplicate resource names', async (t) => {
    const dir = await writeTree(t, { 'config.toml': envResource() + envResource(), 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 10, key: 'name', includes: ['"app" is already used at', ':1'] });
  });

  it('accepts remco log levels and rejects unknown formats', async (t) => {
    let dir = await writeTree(t, { 'config.toml': `log_level = "warning"\nlog_format = "json"\n${envResource()}`, 't.tmpl': '' });
    const { config } = await load(dir);
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.logFormat, 'json');
    dir = await writeTree(t, { 'config.toml': `log_format = "pretty"\n${envResource()}`, 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 1, key: 'log_format', includes: ['"text" or "json"'] });
  });
});

describe('template keys', () => {
  const modeCase = async (t: TestContext, line: string) => {
    const dir = await writeTree(t, { 'config.toml': envResource(line), 't.tmpl': '' });
    return load(dir);
  };

  it('reads octal modes and rejects the decimal "644" pitfall', async (t) => {
    assert.equal((await modeCase(t, 'mode = "0644"')).config.resources[0].templates[0].mode, 0o644);
    assert.equal((await modeCase(t, 'mode = "0o755"')).config.resources[0].templates[0].mode, 0o755);
    assert.equal((await modeCase(t, 'mode = 0o600')).config.resources[0].templates[0].mode, 0o600);
    await rejectsConfig(modeCase(t, 'mode = "644"'), { line: 7, key: 'resource[0].template[0].mode', includes: ['decimal', '"0644"', '0o1204'] });
    await rejectsConfig(modeCase(t, 'mode = 644'), { line: 7, includes: ['decimal', '0o644'] });
    await rejectsConfig(modeCase(t, 'mode = "rw-r--r--"'), { line: 7, includes: ['invalid mode'] });
  });

  it('parses durations and debounce', async (t) => {
    const dir = await writeTree(t, {
      'config.toml': envResource('check_timeout = "500ms"\nreload_timeout = 2', 'wait = { min = "200ms", max = "2s" }\nreload_timeout = "1m30s"'),
      't.tmpl': '',
    });
    const r = (await load(dir)).config.resources[0];
    assert.equal(r.templates[0].checkTimeoutMs, 500);
    assert.equal(r.templates[0].reloadTimeoutMs, 2000);
    assert.equal(r.reloadTimeoutMs, 90_000);
    assert.deepEqual(r.debounce, { minMs: 200, maxMs: 2000 });
    const dir2 = await writeTree(t, { 'config.toml': envResource('', 'wait = "100ms"'), 't.tmpl': '' });
    assert.deepEqual((await load(dir2)).config.resources[0].debounce, { minMs: 100, maxMs: 400 });
  });

  it('rejects bad durations and a debounce max below min', async (t) => {
    let dir = await writeTree(t, { 'config.toml': envResource('check_timeout = "5 seconds"'), 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 7, key: 'resource[0].template[0].check_timeout', includes: ['invalid duration', '"500ms"'] });
    dir = await writeTree(t, { 'config.toml': envResource('', 'wait = { min = "2s", max = "1s" }'), 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 3, key: 'resource[0].wait.max', includes: ['shorter than wait.min'] });
    dir = await writeTree(t, { 'config.toml': envResource('', 'wait = { mni = "2s" }'), 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 3, key: 'resource[0].wait.mni' });
  });

  it('keeps string and argv commands and warns when check_cmd ignores the staged file', async (t) => {
    const dir = await writeTree(t, {
      'config.toml': envResource('check_cmd = ["haproxy", "-c", "-f", "{{ src }}"]\nreload_cmd = "kill -USR2 1"'),
      't.tmpl': '',
    });
    const { config, warnings } = await load(dir);
    assert.deepEqual(config.resources[0].templates[0].checkCmd, ['haproxy', '-c', '-f', '{{ src }}']);
    assert.equal(config.resources[0].templates[0].reloadCmd, 'kill -USR2 1');
    assert.deepEqual(warnings, []);
    const dir2 = await writeTree(t, { 'config.toml': envResource('check_cmd = "haproxy -c -f /etc/haproxy/haproxy.cfg"'), 't.tmpl': '' });
    const w = (await load(dir2)).warnings;
    assert.equal(w.length, 1);
    assert.ok(w[0].startsWith(`${join(dir2, 'config.toml')}:7: resource[0].template[0].check_cmd:`), w[0]);
    assert.match(w[0], /\{\{ src \}\}/);
    const dir3 = await writeTree(t, { 'config.toml': envResource('check_cmd = "nginx -t -c {{.src}}"'), 't.tmpl': '' });
    assert.deepEqual((await load(dir3)).warnings, []);
    const dir4 = await writeTree(t, { 'config.toml': envResource('check_cmd = []'), 't.tmpl': '' });
    await rejectsConfig(load(dir4), { line: 7, includes: ['empty array'] });
  });

  it('accepts UID/GID and uid/gid, but not both spellings', async (t) => {
    const dir = await writeTree(t, { 'config.toml': envResource('UID = 99\ngid = 98'), 't.tmpl': '' });
    const tpl = (await load(dir)).config.resources[0].templates[0];
    assert.equal(tpl.uid, 99);
    assert.equal(tpl.gid, 98);
    const dir2 = await writeTree(t, { 'config.toml': envResource('UID = 99\nuid = 98'), 't.tmpl': '' });
    await rejectsConfig(load(dir2), { line: 8, includes: ['write only one'] });
    const dir3 = await writeTree(t, { 'config.toml': envResource('uid = -1'), 't.tmpl': '' });
    await rejectsConfig(load(dir3), { line: 7, includes: ['non-negative integer'] });
  });

  it('resolves relative paths against the config file directory', async (t) => {
    const dir = await writeTree(t, {
      'config.toml': `pid_file = "run/keyplate.pid"\n${envResource('make_directories = true')}`,
      't.tmpl': '',
    });
    const { config } = await load(dir);
    assert.equal(config.pidFile, join(dir, 'run/keyplate.pid'));
    assert.equal(config.resources[0].templates[0].dst, join(dir, 'out/app.conf'));
    assert.equal(config.resources[0].templates[0].makeDirectories, true);
  });

  it('defaults the resource name to the first dst file name', async (t) => {
    const toml = '[[resource]]\n[[resource.template]]\nsrc = "t.tmpl"\ndst = "/etc/haproxy/haproxy.cfg"\n[resource.backend.env]\nkeys = ["/a"]\n';
    const dir = await writeTree(t, { 'config.toml': toml, 't.tmpl': '' });
    assert.equal((await load(dir)).config.resources[0].name, 'haproxy.cfg');
  });
});

describe('${VAR} expansion', () => {
  it('expands ${VAR} and ${VAR:-default}, keeps $$ and bare $ literal', async (t) => {
    const dir = await writeTree(t, {
      'config.toml': [
        '# a comment mentioning ${NOT_SET} is never expanded',
        envResource('reload_cmd = "echo ${GREETING:-hi} ${NAME} $$HOME pa$word $${LITERAL} $1 cost: 5$"'),
      ].join('\n'),
      't.tmpl': '',
    });
    const tpl = (await load(dir, { NAME: 'world' })).config.resources[0].templates[0];
    assert.equal(tpl.reloadCmd, 'echo hi world $HOME pa$word ${LITERAL} $1 cost: 5$');
    const tpl2 = (await load(dir, { NAME: 'w', GREETING: 'hello' })).config.resources[0].templates[0];
    assert.equal(tpl2.reloadCmd, 'echo hello w $HOME pa$word ${LITERAL} $1 cost: 5$');
    const tpl3 = (await load(dir, { NAME: 'w', GREETING: '' })).config.resources[0].templates[0];
    assert.match(String(tpl3.reloadCmd), /^echo hi w /);
  });

  it('expands in paths and durations, never in keys', async (t) => {
    const dir = await writeTree(t, {
      'config.toml': envResource('check_timeout = "${CHECK_TIMEOUT:-3s}"').replace('src = "t.tmpl"', 'src = "${TPL_DIR}/t.tmpl"'),
      'tpl/t.tmpl': '',
    });
    const tpl = (await load(dir, { TPL_DIR: 'tpl' })).config.resources[0].templates[0];
    assert.equal(tpl.src, join(dir, 'tpl/t.tmpl'));
    assert.equal(tpl.checkTimeoutMs, 3000);
    const dir2 = await writeTree(t, { 'config.toml': envResource('"${KEY}" = "x"'), 't.tmpl': '' });
    await rejectsConfig(load(dir2, { KEY: 'check_cmd' }), { line: 7, includes: ['unknown key "${KEY}"'] });
  });

  it('rejects malformed references, pointing at the value', async (t) => {
    const dir = await writeTree(t, { 'config.toml': envResource('reload_cmd = "echo ${1}"'), 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 7, key: 'resource[0].template[0].reload_cmd', includes: ['$${'] });
  });
});
