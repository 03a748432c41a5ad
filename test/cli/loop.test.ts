/**
 * The operator's loop on the command line: check --render as the whole dry run (check_cmd on a
 * copy, every failure), --exit-code, confd/remco single-dash flags, and the daemon picking up
 * template edits (watched, or on SIGHUP with watch_templates = false).
 */
import assert from 'node:assert/strict';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/program.ts';
import { ExitCode } from '../../src/errors.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

/** Refuses a file containing "bogus" (naming the line, like `haproxy -c`); records what it checked in `<dir>/seen`. */
const refuseBogus = (dir: string) =>
  `n=$(grep -n bogus {{.src}} | head -1 | cut -d: -f1); if [ -n "$n" ]; then echo "parsing [{{.src}}:$n] : unknown keyword" >&2; exit 1; fi; echo "{{.src}} {{.dst}}" >> ${JSON.stringify(join(dir, 'seen'))}`;

async function project(t: Parameters<typeof tempDir>[0], opts: { top?: string; templateA?: string; templateB?: string } = {}) {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'data.yaml'), 'app:\n  port: "8080"\n');
  await writeFile(join(dir, 'a.tmpl'), opts.templateA ?? 'listen {{ getv("/app/port") }}\n');
  await writeFile(join(dir, 'b.tmpl'), opts.templateB ?? 'port {{ getv("/app/port") }}\n');
  const block = (name: string) => ['[[resource.template]]', `src = "${name}.tmpl"`, `dst = "${name}.out"`, `check_cmd = ${JSON.stringify(refuseBogus(dir))}`];
  const lines = [opts.top ?? '', '[[resource]]', 'name = "app"', ...block('a'), ...block('b'), '[resource.backend.file]', 'filepath = "data.yaml"', 'keys = ["/app"]', 'watch = true'];
  await writeFile(join(dir, 'config.toml'), `${lines.join('\n')}\n`);
  return { dir, config: join(dir, 'config.toml'), a: join(dir, 'a.out'), b: join(dir, 'b.out') };
}

const inCwd = (dir: string) => ({ env: { PATH: process.env.PATH }, cwd: dir });

describe('check --render: the whole dry run', () => {
  it('runs check_cmd on a temporary copy with the same placeholders; the destination is untouched (inode unchanged)', async (t) => {
    const p = await project(t);
    await writeFile(p.a, 'old a\n');
    const before = await stat(p.a);
    const r = await runCli(['check', '--render', '-c', p.config], inCwd(p.dir));
    assert.equal(r.code, ExitCode.OK, r.stderr);
    assert.match(r.stdout, /app: would change \(noop\)/);
    const seen = (await readFile(join(p.dir, 'seen'), 'utf8').catch(() => '')).trim().split('\n');
    assert.equal(seen.length, 2, 'check_cmd ran once per template');
    for (const [i, dst] of [p.a, p.b].entries()) {
      const [src, d] = seen[i].split(' ');
      assert.equal(d, dst);
      assert.notEqual(src, dst);
      assert.ok(!src.startsWith(p.dir), 'the copy is not next to the destination');
    }
    const after = await stat(p.a);
    assert.deepEqual([after.ino, after.mtimeMs, await readFile(p.a, 'utf8')], [before.ino, before.mtimeMs, 'old a\n']);
    await assert.rejects(stat(p.b), { code: 'ENOENT' });
    assert.deepEqual((await readdir(p.dir)).filter((n) => n.startsWith('.') || n.endsWith('.rejected')), []);
  });

  it('reports every check failure, not the first, with the cited line mapped to the template', async (t) => {
    const p = await project(t, { templateA: 'ok\nbogus {{ getv("/app/port") }}\n', templateB: 'bogus b\n' });
    const r = await runCli(['check', '--render', '-c', p.config], inCwd(p.dir));
    assert.equal(r.code, ExitCode.CHECK, r.stdout + r.stderr);
    assert.match(r.stdout, /2 templates rejected/);
    assert.ok(r.stdout.includes(`${p.a} (as rendered):2: bogus 8080  (from ${join(p.dir, 'a.tmpl')}:2)`), r.stdout);
    assert.ok(r.stdout.includes(`${p.b} (as rendered):1: bogus b  (from ${join(p.dir, 'b.tmpl')}:1)`), r.stdout);
  });

  it('plain check reports every template that does not compile', async (t) => {
    const p = await project(t, { templateA: '{% if %}\n', templateB: 'x\n{{ 1 + }}\n' });
    const r = await runCli(['check', '-c', p.config], inCwd(p.dir));
    assert.equal(r.code, ExitCode.RENDER, r.stderr);
    assert.match(r.stderr, /a\.tmpl:1/);
    assert.match(r.stderr, /b\.tmpl:2/);
    assert.match(r.stderr, /2 of 2 template\(s\) do not compile/);
  });
});

describe('--exit-code: 0 no differences, 1 differences', () => {
  it('render --diff --exit-code and check --render --exit-code', async (t) => {
    const p = await project(t);
    for (const argv of [['render', '--diff', '--exit-code'], ['check', '--render', '--exit-code']]) {
      assert.equal((await runCli([...argv, '-c', p.config], inCwd(p.dir))).code, 1, `${argv.join(' ')}: no destination yet = differences`);
    }
    assert.equal((await runCli(['render', '--diff', '-c', p.config], inCwd(p.dir))).code, 0, 'without --exit-code: 0');
    assert.equal((await runCli(['run', '--onetime', '-c', p.config], inCwd(p.dir))).code, 0);
    for (const argv of [['render', '--diff', '--exit-code'], ['check', '--render', '--exit-code']]) {
      const r = await runCli([...argv, '-c', p.config], inCwd(p.dir));
      assert.equal(r.code, 0, `${argv.join(' ')} in sync: ${r.stderr}`);
    }
    await writeFile(join(p.dir, 'b.tmpl'), 'bogus\n');
    assert.equal((await runCli(['check', '--render', '--exit-code', '-c', p.config], inCwd(p.dir))).code, ExitCode.CHECK, 'a failure keeps its own code');
  });
});

describe('confd/remco single-dash flags', () => {
  it('-onetime -noop -config: one pass, nothing written', async (t) => {
    const p = await project(t);
    const r = await runCli(['run', '-onetime', '-noop', '-config', p.config], inCwd(p.dir));
    assert.equal(r.code, ExitCode.OK, r.stderr);
    assert.match(r.stderr, /app: would change \(noop\)/);
    await assert.rejects(stat(p.a), { code: 'ENOENT' });
  });
  it('-config=FILE, -interval N, -log-level LEVEL and --dry-run', async (t) => {
    const p = await project(t);
    const quiet = await runCli(['run', '-onetime', '--dry-run', '-interval', '5', '-log-level', 'silent', `-config=${p.config}`], inCwd(p.dir));
    assert.equal(quiet.code, ExitCode.OK, quiet.stderr);
    assert.doesNotMatch(quiet.stderr, /"level"|INFO/, '-log-level silent is honoured');
    await assert.rejects(stat(p.a), { code: 'ENOENT' }, '--dry-run is --noop');
    const loud = await runCli(['run', '-onetime', '-noop', '-log-level=info', '-config', p.config], inCwd(p.dir));
    assert.match(loud.stderr, /noop: destination would change/);
  });
  it('an unknown flag suggests the closest one', async () => {
    for (const flag of ['-onetim', '--onetme']) {
      const r = await runCli(['run', flag]);
      assert.equal(r.code, ExitCode.USAGE);
      assert.match(r.stderr, /Did you mean --onetime\?/);
    }
  });
});

/** `keyplate run` in process, with a SIGHUP we can send; stopped when the test ends. */
function daemon(t: Parameters<typeof tempDir>[0], argv: string[], cwd: string) {
  const stop = new AbortController();
  const hup: (() => void)[] = [];
  let stderr = '';
  const err = new PassThrough();
  err.on('data', (c) => (stderr += String(c)));
  const io = { stdout: new PassThrough(), stderr: err, env: { PATH: process.env.PATH }, cwd, onSignal: (_s: 'SIGHUP', l: () => void) => (hup.push(l), () => {}) };
  const done = main(argv, io, stop.signal);
  t.after(async () => {
    stop.abort();
    await done;
  });
  return { sighup: () => hup.forEach((l) => l()), log: () => stderr };
}

describe('keyplate run follows template edits', () => {
  it('a saved edit of a template is rendered and installed with no restart; a broken one keeps the file', async (t) => {
    const p = await project(t);
    const d = daemon(t, ['run', '-c', p.config], p.dir);
    await waitFor(async () => (await readFile(p.a, 'utf8').catch(() => '')) === 'listen 8080\n', { message: 'first install' });
    await writeFile(join(p.dir, 'a.tmpl'), 'listen {{ getv("/app/port") }} # edited\n');
    await waitFor(async () => (await readFile(p.a, 'utf8')) === 'listen 8080 # edited\n', { message: 'the edit installed' });
    await writeFile(join(p.dir, 'a.tmpl'), 'listen {% if %}\n');
    await waitFor(() => /a\.tmpl:1:\d+/.test(d.log()), { message: 'the broken template reported with file:line:col' });
    assert.equal(await readFile(p.a, 'utf8'), 'listen 8080 # edited\n');
    await writeFile(join(p.dir, 'a.tmpl'), 'listen {{ getv("/app/port") }} # fixed\n');
    await waitFor(async () => (await readFile(p.a, 'utf8')) === 'listen 8080 # fixed\n', { message: 'the fix installed' });
  });

  it('watch_templates = false: an edit waits for SIGHUP, which renders the resource again', async (t) => {
    const p = await project(t, { top: 'watch_templates = false' });
    const d = daemon(t, ['run', '-c', p.config], p.dir);
    await waitFor(async () => (await readFile(p.b, 'utf8').catch(() => '')) === 'port 8080\n', { message: 'first install' });
    await writeFile(join(p.dir, 'b.tmpl'), 'port {{ getv("/app/port") }} # via SIGHUP\n');
    d.sighup();
    await waitFor(async () => (await readFile(p.b, 'utf8')) === 'port 8080 # via SIGHUP\n', { message: 'SIGHUP rendered the edited template' });
    assert.match(d.log(), /configuration reloaded/);
    assert.match(d.log(), /rendered.*app|app.*rendered/);
  });
});
