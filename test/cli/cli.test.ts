/** The command line: render (--diff, ad hoc), keys (--json), check, run --onetime, and exit codes. */
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/errors.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

async function project(t: Parameters<typeof tempDir>[0], opts: { check?: string; reload?: string; template?: string } = {}) {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'data.yaml'), 'services:\n  web:\n    a: "10.0.0.1:80"\n    b: "10.0.0.2:80"\n');
  await writeFile(join(dir, 'app.tmpl'), opts.template ?? '{% for s in gets("/services/web/*") %}server {{ s.Key | base }} {{ s.Value }}\n{% endfor %}');
  const lines = [
    '[[resource]]',
    'name = "app"',
    '[[resource.template]]',
    'src = "app.tmpl"',
    'dst = "out/app.cfg"',
    'make_directories = true',
    ...(opts.check ? [`check_cmd = ${JSON.stringify(opts.check)}`] : []),
    ...(opts.reload ? [`reload_cmd = ${JSON.stringify(opts.reload)}`] : []),
    '[resource.backend.file]',
    'filepath = "data.yaml"',
    'keys = ["/services"]',
  ];
  await writeFile(join(dir, 'config.toml'), `${lines.join('\n')}\n`);
  return { dir, config: join(dir, 'config.toml'), dst: join(dir, 'out/app.cfg') };
}

const EXPECTED = 'server a 10.0.0.1:80\nserver b 10.0.0.2:80\n';

describe('keyplate render', () => {
  it('prints the rendered resource and touches nothing', async (t) => {
    const p = await project(t);
    const r = await runCli(['render', '-c', p.config]);
    assert.equal(r.code, ExitCode.OK, r.stderr);
    assert.equal(r.stdout, EXPECTED);
    await assert.rejects(stat(p.dst), { code: 'ENOENT' });
  });
  it('--diff prints a unified diff against the destination', async (t) => {
    const p = await project(t);
    assert.equal((await runCli(['run', '--onetime', '-c', p.config])).code, 0);
    await writeFile(join(p.dir, 'data.yaml'), 'services:\n  web:\n    a: "10.0.0.1:80"\n    c: "10.0.0.3:80"\n');
    const r = await runCli(['render', '-c', p.config, '--diff']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^-server b 10\.0\.0\.2:80$/m);
    assert.match(r.stdout, /^\+server c 10\.0\.0\.3:80$/m);
    assert.equal(await readFile(p.dst, 'utf8'), EXPECTED, 'diff does not write');
  });
  it('renders a template ad hoc from a backend URI', async (t) => {
    const p = await project(t);
    const r = await runCli(['render', join(p.dir, 'app.tmpl'), '--backend', `file:${join(p.dir, 'data.yaml')}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, EXPECTED);
  });
  it('a template error exits 5 naming file:line:column', async (t) => {
    const p = await project(t, { template: 'ok\n{{ getv("/missing/key") }}\n' });
    const r = await runCli(['render', '-c', p.config]);
    assert.equal(r.code, ExitCode.RENDER);
    assert.match(r.stderr, /app\.tmpl:2:\d+: key does not exist: \/missing\/key/);
  });
});

describe('keyplate keys', () => {
  it('--json prints the normalized tree', async (t) => {
    const p = await project(t);
    const r = await runCli(['keys', '--backend', `file:${join(p.dir, 'data.yaml')}`, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { '/services/web/a': '10.0.0.1:80', '/services/web/b': '10.0.0.2:80' });
  });
  it('strips a prefix and prints key = value lines', async (t) => {
    const p = await project(t);
    const r = await runCli(['keys', '--backend', `file:${join(p.dir, 'data.yaml')}`, '--prefix', '/services']);
    assert.equal(r.stdout, '/web/a = "10.0.0.1:80"\n/web/b = "10.0.0.2:80"\n');
  });
  it('an unknown backend URI is a usage error', async () => {
    const r = await runCli(['keys', '--backend', 'nosuch:x']);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(r.stderr, /unknown backend "nosuch"/);
  });
});

describe('keyplate check', () => {
  it('checks backend options with the backend schema: an out-of-range option fails check (exit 3, file:line) exactly as run would', async (t) => {
    const p = await project(t);
    const text = await readFile(p.config, 'utf8');
    await writeFile(p.config, `${text}[resource.backend.rancher]\nkeys = ["/self"]\nmax_wait = 500\n`);
    const line = text.split('\n').length + 2;
    for (const args of [['check'], ['run', '--onetime']]) {
      const r = await runCli([...args, '-c', p.config]);
      assert.equal(r.code, ExitCode.CONFIG, `${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`config\\.toml:${line}:\\d+: resource\\[0\\]\\.backend\\.rancher\\.max_wait: must be from 1 to 120, got 500`), args[0]);
    }
  });
  it('checks backend URI options with the same schema', async (t) => {
    const p = await project(t);
    const r = await runCli(['render', join(p.dir, 'app.tmpl'), '--backend', 'rancher://127.0.0.1:1?max_wait=500']);
    assert.equal(r.code, ExitCode.USAGE, r.stderr);
    assert.match(r.stderr, /--backend rancher:\/\/127\.0\.0\.1:1\?max_wait=500: max_wait: must be from 1 to 120, got 500/);
  });
  it('validates config and templates', async (t) => {
    const p = await project(t);
    const r = await runCli(['check', '-c', p.config]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ok \(1 resource\(s\), 1 template\(s\)\)/);
  });
  it('a template syntax error exits 5; a config error exits 3 with file:line', async (t) => {
    const p = await project(t, { template: '{% for x in %}\n' });
    assert.equal((await runCli(['check', '-c', p.config])).code, ExitCode.RENDER);
    await writeFile(p.config, `${await readFile(p.config, 'utf8')}bogus = 1\n`);
    const r = await runCli(['check', '-c', p.config]);
    assert.equal(r.code, ExitCode.CONFIG);
    assert.match(r.stderr, /config\.toml:\d+/);
  });
  it('without --render reports every unknown filter and missing include, each at file:line:col, in one pass', async (t) => {
    const p = await project(t, { template: 'a\nb\nc\n{% for s in gets("/services/web/*") | nofilter %}{{ s.Value }}{% endfor %}\n{% include "parts/ok.njk" %}\n  {% include "gone.njk" %}\n' });
    await mkdir(join(p.dir, 'parts'));
    await writeFile(join(p.dir, 'parts', 'ok.njk'), 'x\n{{ 1 | alsonot }}\n');
    const r = await runCli(['check', '-c', p.config]);
    assert.equal(r.code, ExitCode.RENDER, r.stderr);
    const tmpl = join(p.dir, 'app.tmpl');
    assert.ok(r.stderr.includes(`${tmpl}:4:39: filter not found: nofilter`), r.stderr);
    assert.ok(r.stderr.includes(`${tmpl}:6:6: template not found: ${join(p.dir, 'gone.njk')}`), r.stderr);
    assert.ok(r.stderr.includes(`${join(p.dir, 'parts', 'ok.njk')}:2:8: filter not found: alsonot`), r.stderr);
    assert.match(r.stderr, /1 of 1 template\(s\) do not compile/);
    assert.equal(r.stdout, '');
  });
  it('an unknown flag exits 2', async () => {
    assert.equal((await runCli(['check', '--nope'])).code, ExitCode.USAGE);
  });
});

describe('keyplate run --onetime', () => {
  it('installs, then reports in sync', async (t) => {
    const p = await project(t);
    const first = await runCli(['run', '--onetime', '-c', p.config]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /app: updated/);
    assert.equal(await readFile(p.dst, 'utf8'), EXPECTED);
    const second = await runCli(['run', '--onetime', '-c', p.config]);
    assert.match(second.stderr, /app: in sync/);
  });
  it('a failing check exits 6 and installs nothing', async (t) => {
    const p = await project(t, { check: 'grep -q nothing-like-this {{ src }}' });
    const r = await runCli(['run', '--onetime', '-c', p.config]);
    assert.equal(r.code, ExitCode.CHECK);
    assert.match(r.stderr, /app: FAILED \(exit 6\)/);
    await assert.rejects(stat(p.dst), { code: 'ENOENT' });
  });
  it('a failing reload exits 7', async (t) => {
    const p = await project(t, { reload: 'exit 3' });
    const r = await runCli(['run', '--onetime', '-c', p.config]);
    assert.equal(r.code, ExitCode.RELOAD);
  });
  it('--noop writes nothing', async (t) => {
    const p = await project(t);
    const r = await runCli(['run', '--onetime', '--noop', '-c', p.config]);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /would change/);
    await assert.rejects(stat(p.dst), { code: 'ENOENT' });
  });
});
