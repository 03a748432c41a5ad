/**
 * The npm package: `npm pack` (its `prepack` compiles src/ to dist/) in a staging copy of the
 * repository (so the work tree's dist/ is never touched), then `npm install -g --prefix <tmp>` of the
 * tarball. The installed `keyplate` must run from the compiled JavaScript with production
 * dependencies only: `--version`, `version` and a render of the registrator example. Its caches
 * (V8 code, compiled templates) go where docs/cli.md says: KEYPLATE_CACHE_DIR, else
 * XDG_CACHE_HOME/keyplate, else ~/.cache/keyplate; an empty KEYPLATE_CACHE_DIR writes none.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, cp, readdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

function run(cmd: string, args: readonly string[], opts: { cwd: string; env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd, env: opts.env ?? (process.env as Record<string, string>), encoding: 'utf8', timeout: 300_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

test('npm pack + npm install -g gives a working keyplate without devDependencies', { timeout: 600_000 }, async (t) => {
  const tmp = await tempDir(t, 'keyplate-pack');
  const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string; files: string[]; bin: Record<string, string>; devDependencies: Record<string, string> };
  assert.equal(pkg.bin.keyplate, 'bin/keyplate.js', 'bin runs the compiled JavaScript when built (tsx sources only in a checkout)');

  // a staging copy: what git tracks that the build and the package need; node_modules shared
  const stage = join(tmp, 'stage');
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'scripts', 'bin', 'src', 'templates', 'config.toml', 'examples', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
    await cp(join(REPO, f), join(stage, f), { recursive: true });
  }
  await symlink(join(REPO, 'node_modules'), join(stage, 'node_modules'), 'dir');
  const packed = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: stage });
  assert.equal(packed.code, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = info.files.map((f) => f.path);
  assert.ok(files.includes('dist/bin.js'), 'prepack built dist/');
  assert.deepEqual(files.filter((f) => /^(test|bench|src|scripts|docker)\/|\.test\.|\.map$/.test(f)), [], 'no tests, sources or build scripts');
  for (const f of ['LICENSE', 'CHANGELOG.md', 'README.md', 'config.toml', 'templates/rancher-haproxy/haproxy.cfg.njk']) assert.ok(files.includes(f), f);

  const prefix = join(tmp, 'prefix');
  const installed = await run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', join(tmp, info.filename)], { cwd: tmp });
  assert.equal(installed.code, 0, installed.stderr);
  const root = join(prefix, 'lib', 'node_modules', 'keyplate');
  const deps = await readdir(join(root, 'node_modules'));
  assert.deepEqual(deps.filter((d) => d in pkg.devDependencies || d === 'typescript' || d === 'tsx'), [], 'no devDependencies installed');
  await assert.rejects(access(join(root, 'src')), 'no TypeScript sources');

  // only the installed prefix and node on PATH: no tsx, no repository
  const env = { PATH: `${join(prefix, 'bin')}:/usr/local/bin:/usr/bin:/bin`, HOME: tmp };
  const version = await run('keyplate', ['--version'], { cwd: tmp, env });
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout.split('\n')[0], `keyplate ${pkg.version}`);
  assert.equal((await run('keyplate', ['version'], { cwd: tmp, env })).stdout, version.stdout);

  const offline = join(root, 'examples/registrator-etcd/offline.toml');
  const expected = await readFile(join(REPO, 'examples/registrator-etcd/expected.cfg'), 'utf8');
  const render = await run('keyplate', ['render', '-c', offline], { cwd: tmp, env });
  assert.equal(render.code, 0, render.stderr);
  assert.equal(render.stdout, expected);

  // where the caches go: both kinds, in the directory the environment names, and nowhere with ""
  const cached = async (dir: string) => ({
    code: (await readdir(join(dir, 'code')).catch(() => [])).filter((f) => f.endsWith('.bin')).length,
    templates: (await readdir(join(dir, 'templates')).catch(() => [])).filter((f) => f.endsWith('.js')).length,
  });
  assert.deepEqual(await cached(join(tmp, '.cache', 'keyplate')), { code: 1, templates: 1 }, '~/.cache/keyplate');
  for (const [extra, dir] of [
    [{ XDG_CACHE_HOME: join(tmp, 'xdg') }, join(tmp, 'xdg', 'keyplate')],
    [{ XDG_CACHE_HOME: join(tmp, 'xdg2'), KEYPLATE_CACHE_DIR: join(tmp, 'kp') }, join(tmp, 'kp')],
  ] as const) {
    const r = await run('keyplate', ['render', '-c', offline], { cwd: tmp, env: { ...env, ...extra } });
    assert.equal(r.stdout, expected, r.stderr);
    assert.deepEqual(await cached(dir), { code: 1, templates: 1 }, JSON.stringify(extra));
  }
  assert.deepEqual(await cached(join(tmp, 'xdg2', 'keyplate')), { code: 0, templates: 0 }, 'KEYPLATE_CACHE_DIR wins over XDG_CACHE_HOME');
  const home = join(tmp, 'home-off');
  const off = await run('keyplate', ['render', '-c', offline], { cwd: tmp, env: { ...env, HOME: home, KEYPLATE_CACHE_DIR: '' } });
  assert.equal(off.stdout, expected, off.stderr);
  await assert.rejects(access(home), 'KEYPLATE_CACHE_DIR="" writes no cache at all');
});
