import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { shellQuote as q } from '../../src/exec/command.ts';
import { ExitCode, ResourceError, TemplateError } from '../../src/errors.ts';
import type { RenameFn } from '../../src/pipeline/files.ts';
import { CommandStepError, RejectedRenders, processResource } from '../../src/pipeline/process.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { deps, list, logLines, processGone, requireRoot, resource, template } from './fixtures.ts';

/** A temp dir whose name needs quoting, so every placeholder test also tests the quoting. */
async function workDir(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const dir = join(await tempDir(t), "conf dir's");
  await mkdir(dir);
  return dir;
}

/** Appends `<label> <contents of the file>` to `log`. */
const logCmd = (label: string, log: string, placeholder = '{{ dst }}') => `printf '%s\\n' "${label} $(cat ${placeholder})" >> ${q(log)}`;

async function fileState(path: string) {
  const st = await stat(path);
  return { contents: await readFile(path, 'utf8'), mode: st.mode & 0o7777, ino: st.ino };
}

test('first install: check sees the staged file, file installed, reload runs once', async (t) => {
  const dir = await workDir(t);
  const log = join(dir, '..', 'log');
  const tpl = template(dir, 'app.conf', {
    checkCmd: `test {{.src}} != {{ dst }} && grep -q good {{ src }} && ${logCmd('check', log, '{{ src }}')}`,
    reloadCmd: logCmd('reload', log),
  });
  const result = await processResource(deps({ [tpl.dst]: 'good v1\n' }), resource([tpl]), { noop: false });
  assert.equal(result.changed, true);
  assert.equal(result.wouldChange, true);
  assert.equal(result.templates[0].diff, 'missing');
  assert.equal(result.templates[0].check?.exitCode, 0);
  assert.equal(result.templates[0].reload?.exitCode, 0);
  assert.deepEqual(await fileState(tpl.dst).then((s) => [s.contents, s.mode]), ['good v1\n', 0o644]);
  assert.deepEqual(await logLines(log), ['check good v1', 'reload good v1']);
  assert.deepEqual(await list(dir), ['app.conf']);
});

test('identical output: no write, no check, no reload', async (t) => {
  const dir = await workDir(t);
  const log = join(dir, '..', 'log');
  const tpl = template(dir, 'app.conf', { checkCmd: logCmd('check', log, '{{ src }}'), reloadCmd: logCmd('reload', log) });
  const d = deps({ [tpl.dst]: 'same\n' });
  await processResource(d, resource([tpl]), { noop: false });
  const before = await fileState(tpl.dst);
  const again = await processResource(d, resource([tpl]), { noop: false });
  assert.equal(again.changed, false);
  assert.equal(again.wouldChange, false);
  assert.equal(again.templates[0].diff, null);
  assert.equal(again.templates[0].check, undefined);
  assert.deepEqual(await fileState(tpl.dst), before, 'same inode: not rewritten');
  assert.deepEqual(await logLines(log), ['check same', 'reload same']);
  assert.deepEqual(await list(dir), ['app.conf']);
});

test('a failing check leaves every destination byte-identical and runs no reload', async (t) => {
  const dir = await workDir(t);
  const log = join(dir, '..', 'log');
  const a = template(dir, 'a.conf', { checkCmd: 'true', reloadCmd: logCmd('reload', log) });
  const b = template(dir, 'b.conf', { checkCmd: `echo "syntax error in {{ src }}" >&2; exit 3`, reloadCmd: logCmd('reload', log) });
  for (const tpl of [a, b]) {
    await writeFile(tpl.dst, `old ${tpl.dst}`);
    await chmod(tpl.dst, 0o640);
  }
  const before = [await fileState(a.dst), await fileState(b.dst)];
  const err = await processResource(deps({ [a.dst]: 'new a', [b.dst]: 'new b' }), resource([a, b]), { noop: false }).then(
    () => assert.fail('expected a check failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CommandStepError);
  assert.equal(err.step, 'check');
  assert.equal(err.exitCode, ExitCode.CHECK);
  assert.equal(err.template, b.dst);
  assert.equal(err.result.exitCode, 3);
  assert.match(err.message, /^\[resource:app\] check failed: .*b\.conf: check_cmd .* exited with code 3; destination left untouched/);
  // the checker's output cites the kept rejected render, not the stage file (already deleted)
  assert.match(err.message, /syntax error in .*\/b\.conf\.rejected/);
  assert.doesNotMatch(err.message, /\.b\.conf\.keyplate-/);
  assert.deepEqual([await fileState(a.dst), await fileState(b.dst)], before);
  assert.deepEqual(await logLines(log), []);
  assert.deepEqual(await list(dir), ['a.conf', 'b.conf', 'b.conf.rejected']);
});

test('a hung check is killed at its timeout; destination untouched, no process left', { timeout: 60_000 }, async (t) => {
  const dir = await workDir(t);
  const pidFile = join(dir, '..', 'pid');
  const tpl = template(dir, 'app.conf', { checkCmd: `sleep 100 & echo $! > ${q(pidFile)}; wait`, checkTimeoutMs: 300 });
  await writeFile(tpl.dst, 'old');
  const before = await fileState(tpl.dst);
  const err = await processResource(deps({ [tpl.dst]: 'new' }), resource([tpl]), { noop: false }).catch((e: unknown) => e);
  assert.ok(err instanceof CommandStepError, String(err));
  assert.equal(err.result.timedOut, true);
  assert.match(err.message, /timed out after 300 ms/);
  assert.deepEqual(await fileState(tpl.dst), before);
  const pid = Number(await readFile(pidFile, 'utf8'));
  await waitFor(() => processGone(pid), { timeoutMs: 10_000, message: 'the check sleep to be gone' });
  assert.deepEqual(await list(dir), ['app.conf']);
});

test('a failing reload restores the previous file and re-runs the reload', async (t) => {
  const dir = await workDir(t);
  const log = join(dir, '..', 'log');
  const tpl = template(dir, 'app.conf', { reloadCmd: `${logCmd('reload', log)}; grep -qv broken {{ dst }}` });
  await writeFile(tpl.dst, 'working');
  await chmod(tpl.dst, 0o600);
  const err = await processResource(deps({ [tpl.dst]: 'broken' }), resource([tpl]), { noop: false }).catch((e: unknown) => e);
  assert.ok(err instanceof CommandStepError, String(err));
  assert.equal(err.step, 'reload');
  assert.equal(err.exitCode, ExitCode.RELOAD);
  assert.match(err.message, /the previous config was restored; the reload was re-run and succeeded/);
  assert.deepEqual(err.rollback && [err.rollback.restored, err.rollback.reloadOk], [true, true]);
  const after = await fileState(tpl.dst);
  assert.deepEqual([after.contents, after.mode], ['working', 0o600]);
  assert.deepEqual(await logLines(log), ['reload broken', 'reload working']);
  assert.deepEqual(await list(dir), ['app.conf']);
});

test('a reload failing twice is reported, and a file that did not exist before is removed', async (t) => {
  const dir = await workDir(t);
  const log = join(dir, '..', 'log');
  const tpl = template(dir, 'new.conf', { reloadCmd: `echo reload >> ${q(log)}; echo 'service down' >&2; false` });
  const err = await processResource(deps({ [tpl.dst]: 'x' }), resource([tpl]), { noop: false }).catch((e: unknown) => e);
  assert.ok(err instanceof CommandStepError, String(err));
  assert.match(err.message, /restored; the reload was re-run and FAILED again\nservice down/);
  assert.equal(err.rollback?.reloadOk, false);
  assert.deepEqual(await logLines(log), ['reload', 'reload']);
  assert.deepEqual(await list(dir), [], 'the new file is gone again');
});

test('a hung reload is killed at its timeout, the previous file restored, no process left', { timeout: 60_000 }, async (t) => {
  const dir = await workDir(t);
  const flag = join(dir, '..', 'hung-once');
  const pidFile = join(dir, '..', 'pid');
  const reloadCmd = `if [ ! -e ${q(flag)} ]; then touch ${q(flag)}; sleep 100 & echo $! > ${q(pidFile)}; wait; fi`;
  const tpl = template(dir, 'app.conf', { reloadCmd, reloadTimeoutMs: 300 });
  await writeFile(tpl.dst, 'previous');
  const err = await processResource(deps({ [tpl.dst]: 'next' }), resource([tpl]), { noop: false }).catch((e: unknown) => e);
  assert.ok(err instanceof CommandStepError, String(err));
  assert.equal(err.result.timedOut, true);
  assert.match(err.message, /timed out after 300 ms.*restored.*re-run and succeeded/s);
  assert.equal(await readFile(tpl.dst, 'utf8'), 'previous');
  const pid = Number(await readFile(pidFile, 'utf8'));
  await waitFor(() => processGone(pid), { timeoutMs: 10_000, message: 'the reload sleep to be gone' });
  assert.deepEqual(await list(dir), ['app.conf']);
});

test('template reloads run per changed template, then the resource reload once', async (t) => {
  const dir = await workDir(t);
  const log = join(dir, '..', 'log');
  const a = template(dir, 'a.conf', { reloadCmd: `echo a {{ name }} >> ${q(log)}` });
  const b = template(dir, 'b.conf', { reloadCmd: `echo b >> ${q(log)}` });
  const spec = resource([a, b], { reloadCmd: `echo resource >> ${q(log)}` });
  await writeFile(b.dst, 'b unchanged');
  await chmod(b.dst, 0o644);
  const r = await processResource(deps({ [a.dst]: 'a new', [b.dst]: 'b unchanged' }), spec, { noop: false });
  assert.deepEqual(r.templates.map((o) => o.changed), [true, false]);
  assert.equal(r.reload?.exitCode, 0);
  assert.deepEqual(await logLines(log), ['a app', 'resource']);
});

test('noop compares only: never writes, never runs a command', async (t) => {
  const dir = await workDir(t);
  const log = join(dir, '..', 'log');
  const cmds = { checkCmd: `echo check >> ${q(log)}`, reloadCmd: `echo reload >> ${q(log)}` };
  const existing = template(dir, 'existing.conf', cmds);
  const missing = template(join(dir, 'sub'), 'missing.conf', { ...cmds, makeDirectories: true });
  await writeFile(existing.dst, 'old');
  const before = await fileState(existing.dst);
  const r = await processResource(deps({ [existing.dst]: 'new', [missing.dst]: 'x' }), resource([existing, missing], { reloadCmd: cmds.reloadCmd }), {
    noop: true,
  });
  assert.equal(r.wouldChange, true);
  assert.equal(r.changed, false);
  assert.deepEqual(r.templates.map((o) => o.diff), [{ content: true, mode: false, owner: false }, 'missing']);
  assert.deepEqual(r.templates.map((o) => o.contents), ['new', 'x']);
  assert.deepEqual(await fileState(existing.dst), before);
  assert.deepEqual(await list(dir), ['existing.conf'], 'no stage file, no make_directories');
  assert.deepEqual(await logLines(log), []);
});

test('a render error writes nothing; a TemplateError is rethrown as is', async (t) => {
  const dir = await workDir(t);
  const a = template(dir, 'a.conf');
  const b = template(dir, 'b.conf');
  const plain = await processResource(deps({ [a.dst]: 'fine', [b.dst]: new Error('boom') }), resource([a, b]), { noop: false }).catch(
    (e: unknown) => e,
  );
  assert.ok(plain instanceof ResourceError);
  assert.equal(plain.step, 'render');
  assert.equal(plain.exitCode, ExitCode.RENDER);
  assert.match(plain.message, /b\.conf\.tmpl: boom/);
  const te = new TemplateError('app', { template: b.src, line: 3, column: 7 }, 'key does not exist: /x');
  const same = await processResource(deps({ [a.dst]: 'fine', [b.dst]: te }), resource([a, b]), { noop: false }).catch((e: unknown) => e);
  assert.equal(same, te);
  assert.deepEqual(await list(dir), []);
});

test('make_directories creates the parent; without it the stage step fails with a hint', async (t) => {
  const dir = await workDir(t);
  const made = template(join(dir, 'x', 'y'), 'made.conf', { makeDirectories: true });
  await processResource(deps({ [made.dst]: 'ok' }), resource([made]), { noop: false });
  assert.equal(await readFile(made.dst, 'utf8'), 'ok');
  const absent = template(join(dir, 'nope'), 'absent.conf');
  const err = await processResource(deps({ [absent.dst]: 'ok' }), resource([absent]), { noop: false }).catch((e: unknown) => e);
  assert.ok(err instanceof ResourceError);
  assert.equal(err.step, 'stage');
  assert.equal(err.exitCode, ExitCode.INSTALL);
  assert.match(err.message, /ENOENT.*make_directories/);
  assert.deepEqual(await list(dir), ['x']);
});

test('mode and owner are applied, and a mode-only change is a change (root)', async (t) => {
  requireRoot();
  const dir = await workDir(t);
  const log = join(dir, '..', 'log');
  const tpl = template(dir, 'owned.conf', { mode: 0o600, uid: 1, gid: 1, reloadCmd: `echo reload >> ${q(log)}` });
  const d = deps({ [tpl.dst]: 'secret' });
  await processResource(d, resource([tpl]), { noop: false });
  const st = await stat(tpl.dst);
  assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o600, 1, 1]);
  assert.equal((await processResource(d, resource([tpl]), { noop: false })).changed, false);
  const relaxed = { ...tpl, mode: 0o640 };
  const r = await processResource(d, resource([relaxed]), { noop: false });
  assert.deepEqual(r.templates[0].diff, { content: false, mode: true, owner: false });
  assert.equal((await stat(tpl.dst)).mode & 0o7777, 0o640);
  assert.deepEqual(await logLines(log), ['reload', 'reload']);
  assert.deepEqual(await list(dir), ['owned.conf']);
});

test('EBUSY on rename (bind-mounted destination) falls back to writing in place', async (t) => {
  const dir = await workDir(t);
  const tpl = template(dir, 'mounted.conf', { reloadCmd: 'true' });
  await writeFile(tpl.dst, 'old');
  const ino = (await stat(tpl.dst)).ino;
  const rename: RenameFn = async () => Promise.reject(Object.assign(new Error('EBUSY: resource busy'), { code: 'EBUSY' }));
  const r = await processResource(deps({ [tpl.dst]: 'new' }, { rename }), resource([tpl]), { noop: false });
  assert.equal(r.changed, true);
  assert.equal(await readFile(tpl.dst, 'utf8'), 'new');
  assert.equal((await stat(tpl.dst)).ino, ino);
  assert.deepEqual(await list(dir), ['mounted.conf']);
});

test('a failed install restores the files already installed and runs no reload', async (t) => {
  const dir = await workDir(t);
  const log = join(dir, '..', 'log');
  const a = template(dir, 'a.conf', { reloadCmd: `echo reload >> ${q(log)}` });
  const b = template(dir, 'b.conf', { reloadCmd: `echo reload >> ${q(log)}` });
  await writeFile(a.dst, 'old a');
  const { rename: realRename } = await import('node:fs/promises');
  const rename: RenameFn = async (from, to) => {
    if (to === b.dst) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    await realRename(from, to);
  };
  const err = await processResource(deps({ [a.dst]: 'new a', [b.dst]: 'new b' }, { rename }), resource([a, b]), { noop: false }).catch(
    (e: unknown) => e,
  );
  assert.ok(err instanceof ResourceError);
  assert.equal(err.step, 'install');
  assert.match(err.message, /b\.conf: EACCES.*earlier files restored/);
  assert.equal(await readFile(a.dst, 'utf8'), 'old a');
  assert.deepEqual(await list(dir), ['a.conf']);
  assert.deepEqual(await logLines(log), []);
});

test('RejectedRenders: an identical rejected render is not checked again', async (t) => {
  const dir = await workDir(t);
  const log = join(dir, '..', 'log');
  const tpl = template(dir, 'app.conf', { checkCmd: `echo check >> ${q(log)}; grep -q good {{ src }}` });
  const rejected = new RejectedRenders();
  const outputs: Record<string, string> = { [tpl.dst]: 'bad' };
  const d = deps(outputs);
  const first = await processResource(d, resource([tpl]), { noop: false, rejected }).catch((e: unknown) => e);
  assert.ok(first instanceof CommandStepError && !first.repeated);
  const second = await processResource(d, resource([tpl]), { noop: false, rejected }).catch((e: unknown) => e);
  assert.ok(second instanceof CommandStepError && second.repeated, String(second));
  assert.equal(second.step, 'check');
  assert.deepEqual(await logLines(log), ['check'], 'not run for the identical render');
  outputs[tpl.dst] = 'good';
  await processResource(d, resource([tpl]), { noop: false, rejected });
  assert.equal(rejected.size, 0);
  assert.deepEqual(await logLines(log), ['check', 'check']);
  assert.deepEqual(await list(dir), ['app.conf']);
});

test('aborting during the check discards the stage and leaves the destination alone', { timeout: 60_000 }, async (t) => {
  const dir = await workDir(t);
  const pidFile = join(dir, '..', 'pid');
  const tpl = template(dir, 'app.conf', { checkCmd: `sleep 100 & echo $! > ${q(pidFile)}; wait` });
  await writeFile(tpl.dst, 'old');
  const before = await fileState(tpl.dst);
  const ac = new AbortController();
  const pending = processResource(deps({ [tpl.dst]: 'new' }), resource([tpl]), { noop: false, signal: ac.signal });
  const pid = await waitFor(async () => Number(await readFile(pidFile, 'utf8').catch(() => '0')), { timeoutMs: 10_000 });
  ac.abort();
  await assert.rejects(pending, { name: 'AbortError' });
  assert.deepEqual(await fileState(tpl.dst), before);
  await waitFor(() => processGone(pid), { timeoutMs: 10_000, message: 'the check sleep to be gone' });
  assert.deepEqual(await list(dir), ['app.conf']);
});
