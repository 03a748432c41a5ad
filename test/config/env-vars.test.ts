/** Fail fast on settings from the environment: required variables, typed vars, and type errors that name the variable. */
import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { ConfigError, ExitCode } from '../../src/errors.ts';
import { runCli } from '../helpers/cli.ts';
import { writeTree } from './fixture.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PRESET = join(ROOT, 'config.toml');
/** What the preset needs besides its defaults. */
const BASE = { STACK_DOMAIN: 'dev.example.com', KEYPLATE_TEMPLATES: join(ROOT, 'templates') };

async function loadError(env: Record<string, string>, file = PRESET): Promise<ConfigError> {
  const e = await loadConfig({ file, env, lookupUser: async () => 0 }).then(
    () => assert.fail('expected a ConfigError'),
    (x: unknown) => x,
  );
  assert.ok(e instanceof ConfigError, String(e));
  assert.equal(e.exitCode, ExitCode.CONFIG);
  return e;
}

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

describe('the preset fails at load on bad settings, naming the variable', () => {
  it('loads with the required variables set', async () => {
    const config = await loadConfig({ file: PRESET, env: BASE, lookupUser: async () => 0 });
    assert.equal(config.resources[0].vars?.stack_domain, 'dev.example.com');
    assert.equal(config.resources[0].vars?.enable_stats, 'false');
  });

  it('STACK_DOMAIN unset: required, with the line that requires it', async () => {
    const text = await readFile(PRESET, 'utf8');
    const e = await loadError({ KEYPLATE_TEMPLATES: BASE.KEYPLATE_TEMPLATES });
    assert.match(e.message, /environment variable STACK_DOMAIN is required and not set: set it to the domain the stacks are served under/);
    assert.equal(e.line, lineOf(text, 'stack_domain = '));
  });

  it('ENABLE_SSL="maybe" (a typed template key) names the variable, its value and what is accepted', async () => {
    const e = await loadError({ ...BASE, ENABLE_SSL: 'maybe' });
    assert.match(e.message, /ENABLE_SSL="maybe": expected true or false/);
    assert.match(e.message, /config\.toml:\d+:\d+: /);
  });

  it('typed vars: a boolean, a port and a choice from the environment', async () => {
    assert.match((await loadError({ ...BASE, ENABLE_STATS: 'maybe' })).message, /vars\.enable_stats\.value: ENABLE_STATS="maybe": expected true or false \(or 1\/0, yes\/no, on\/off\)/);
    assert.match((await loadError({ ...BASE, STATS_PORT: '99999' })).message, /STATS_PORT="99999": expected a port \(an integer from 1 to 65535\)/);
    assert.match((await loadError({ ...BASE, SSL_REDIRECTION_TYPE: '300' })).message, /SSL_REDIRECTION_TYPE="300": expected one of 301, 302, 303, 307, 308/);
    assert.match((await loadError({ ...BASE, STACK_DOMAIN: 'not a domain' })).message, /STACK_DOMAIN="not a domain": expected a host name/);
  });

  it('a typed var written literally (no variable) quotes the value; unknown types are refused', async (t) => {
    const dir = await writeTree(t, {
      'a.toml': '[[resource]]\nname = "a"\n[resource.vars]\nn = { value = "x1", type = "integer" }\n[[resource.template]]\nsrc = "t"\ndst = "d"\n[resource.backend.env]\nkeys = ["/"]\n',
      'b.toml': '[[resource]]\nname = "b"\n[resource.vars]\nn = { value = "1", type = "float" }\n[[resource.template]]\nsrc = "t"\ndst = "d"\n[resource.backend.env]\nkeys = ["/"]\n',
      t: '',
    });
    assert.match((await loadError({}, join(dir, 'a.toml'))).message, /a\.toml:4:\d+: resource\[0\]\.vars\.n\.value: "x1": expected an integer/);
    assert.match((await loadError({}, join(dir, 'b.toml'))).message, /vars\.n\.type: expected one of string, boolean, integer, port, hostname/);
  });
});

describe('the daemon and check exit 3 at start on a static config error', () => {
  for (const argv of [['run'], ['run', '--onetime'], ['check']]) {
    it(`keyplate ${argv.join(' ')} with ENABLE_STATS=maybe exits 3 naming the variable`, async () => {
      const r = await runCli([...argv, '-c', PRESET], { env: { ...BASE, ENABLE_STATS: 'maybe', PATH: process.env.PATH } });
      assert.equal(r.code, ExitCode.CONFIG, r.stderr);
      assert.match(r.stderr, /ENABLE_STATS="maybe": expected true or false/);
    });
  }
  it('keyplate run without STACK_DOMAIN exits 3 at start', async () => {
    const r = await runCli(['run', '-c', PRESET], { env: { KEYPLATE_TEMPLATES: BASE.KEYPLATE_TEMPLATES, PATH: process.env.PATH } });
    assert.equal(r.code, ExitCode.CONFIG, r.stderr);
    assert.match(r.stderr, /STACK_DOMAIN is required and not set/);
  });
});

describe('keyplate check reports every config error in one pass', () => {
  it('three mistakes in three places: all listed, each with file:line and key, exit 3', async (t) => {
    const dir = await writeTree(t, {
      'config.toml': [
        'log_levl = "debug"', // 1
        '[[resource]]', // 2
        'name = "a"', // 3
        '[[resource.template]]', // 4
        'src = "t"', // 5
        'dst = "a.out"', // 6
        'mode = "644"', // 7
        'check_timeout = "soon"', // 8
        '[resource.backend.env]', // 9
        'keys = ["/"]', // 10
        '[[resource]]', // 11
        'name = "b"', // 12
        'reload_command = "true"', // 13
        '[[resource.template]]', // 14
        'src = "missing.tmpl"', // 15
        'dst = "b.out"', // 16
        '[resource.backend.env]', // 17
        'keys = ["/"]', // 18
      ].join('\n'),
      t: '',
    });
    const r = await runCli(['check', '-c', join(dir, 'config.toml')]);
    assert.equal(r.code, ExitCode.CONFIG, r.stderr);
    assert.match(r.stderr, /4 configuration errors:/);
    for (const re of [/config\.toml:1:\d+: log_levl: unknown key "log_levl".*did you mean "log_level"/, /config\.toml:7:\d+: resource\[0\]\.template\[0\]\.mode: /, /config\.toml:8:\d+: resource\[0\]\.template\[0\]\.check_timeout: /, /config\.toml:13:\d+: resource\[1\]\.reload_command: unknown key/]) {
      assert.match(r.stderr, re);
    }
  });
});
