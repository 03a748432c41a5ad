import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  atomicReplace,
  diffFingerprints,
  isStageName,
  makeDirectories,
  plannedFingerprint,
  sha256,
  snapshotFile,
  stageFile,
  type RenameFn,
} from '../../src/pipeline/files.ts';
import { unifiedDiff } from '../../src/pipeline/diff.ts';
import { tempDir } from '../helpers/tmp.ts';
import { list, requireRoot } from './fixtures.ts';

/** A staged file against what is on disk, as the pipeline compares them. */
const compareWith = async (staged: Awaited<ReturnType<typeof stageFile>>, dest: string) => diffFingerprints(staged.fingerprint, (await snapshotFile(dest))?.fingerprint ?? null);

const errno = (code: string): Error => Object.assign(new Error(`${code}: simulated`), { code });

test('stageFile writes a hidden temp file beside the destination', async (t) => {
  const dir = await tempDir(t);
  const dest = join(dir, 'haproxy.cfg');
  const staged = await stageFile(dest, 'global\n', {});
  assert.equal(staged.dest, dest);
  const [name] = await list(dir);
  assert.match(name, /^\.haproxy\.cfg\.keyplate-[0-9a-f]{12}$/);
  assert.equal(join(dir, name), staged.path);
  assert.ok(isStageName(name, 'haproxy.cfg'));
  assert.equal(await readFile(staged.path, 'utf8'), 'global\n');
  assert.equal(staged.fingerprint.sha256, sha256('global\n'));
  assert.equal(staged.fingerprint.mode, 0o644, 'no destination and no mode: 0644');
  assert.equal(staged.fingerprint.uid, process.geteuid?.());
  await staged.discard();
  await staged.discard();
  assert.deepEqual(await list(dir), []);
});

test('stageFile keeps the existing mode unless a mode is given', async (t) => {
  const dir = await tempDir(t);
  const dest = join(dir, 'app.conf');
  await writeFile(dest, 'old');
  await chmod(dest, 0o640);
  const kept = await stageFile(dest, 'new', {});
  assert.equal((await stat(kept.path)).mode & 0o7777, 0o640);
  const explicit = await stageFile(dest, 'new', { mode: 0o600 });
  assert.equal((await stat(explicit.path)).mode & 0o7777, 0o600);
  assert.equal(explicit.fingerprint.mode, 0o600);
  await kept.discard();
  await explicit.discard();
});

test('stageFile applies an explicit owner and inherits an existing one (root)', async (t) => {
  requireRoot();
  const dir = await tempDir(t);
  const dest = join(dir, 'owned.conf');
  const explicit = await stageFile(dest, 'x', { uid: 1, gid: 1, mode: 0o640 });
  const st = await stat(explicit.path);
  assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [1, 1, 0o640]);
  await explicit.discard();
  await writeFile(dest, 'old');
  await chown(dest, 1, 1);
  const inherited = await stageFile(dest, 'new', {});
  assert.deepEqual([inherited.fingerprint.uid, inherited.fingerprint.gid], [1, 1]);
  await inherited.discard();
});

test('a staged file compared with its destination reports missing, content, mode and owner differences', async (t) => {
  const dir = await tempDir(t);
  const dest = join(dir, 'c.conf');
  const a = await stageFile(dest, 'a', { mode: 0o644 });
  assert.equal(await compareWith(a, dest), 'missing');
  await writeFile(dest, 'a');
  await chmod(dest, 0o644);
  assert.equal(await compareWith(a, dest), null);
  await chmod(dest, 0o600);
  assert.deepEqual(await compareWith(a, dest), { content: false, mode: true, owner: false });
  await writeFile(dest, 'b');
  assert.deepEqual(await compareWith(a, dest), { content: true, mode: true, owner: false });
  await a.discard();
  if (process.getuid?.() === 0) {
    const owned = await stageFile(dest, 'b', { uid: 1, gid: 1, mode: 0o600 });
    assert.deepEqual(await compareWith(owned, dest), { content: false, mode: false, owner: true });
    await owned.discard();
  }
});

test('plannedFingerprint predicts the staged fingerprint without writing', async (t) => {
  const dir = await tempDir(t);
  const dest = join(dir, 'p.conf');
  await writeFile(dest, 'x');
  await chmod(dest, 0o640);
  const snap = await snapshotFile(dest);
  assert.ok(snap);
  const planned = plannedFingerprint('y', {}, snap.fingerprint);
  const staged = await stageFile(dest, 'y', {});
  assert.deepEqual(planned, staged.fingerprint);
  await staged.discard();
  assert.equal(await snapshotFile(join(dir, 'absent')), null);
});

test('atomicReplace renames the staged file over the destination', async (t) => {
  const dir = await tempDir(t);
  const dest = join(dir, 'r.conf');
  await writeFile(dest, 'old');
  const before = await stat(dest);
  const staged = await stageFile(dest, 'new', { mode: 0o600 });
  assert.equal(await atomicReplace(staged, dest), 'rename');
  const after = await stat(dest);
  assert.equal(await readFile(dest, 'utf8'), 'new');
  assert.notEqual(after.ino, before.ino);
  assert.equal(after.mode & 0o7777, 0o600);
  assert.deepEqual(await list(dir), ['r.conf']);
});

for (const code of ['EBUSY', 'EXDEV']) {
  test(`atomicReplace writes in place when rename fails with ${code} (bind mount)`, async (t) => {
    const dir = await tempDir(t);
    const dest = join(dir, 'mounted.conf');
    await writeFile(dest, 'old old old old');
    await chmod(dest, 0o644);
    const before = await stat(dest);
    const calls: string[] = [];
    const rename: RenameFn = async (from) => {
      calls.push(from);
      throw errno(code);
    };
    const staged = await stageFile(dest, 'new', { mode: 0o640 });
    assert.equal(await atomicReplace(staged, dest, { rename }), 'in-place');
    assert.deepEqual(calls, [staged.path]);
    const after = await stat(dest);
    assert.equal(after.ino, before.ino, 'same inode: the bind mount keeps pointing at it');
    assert.equal(await readFile(dest, 'utf8'), 'new', 'old tail truncated');
    assert.equal(after.mode & 0o7777, 0o640);
    assert.deepEqual(await list(dir), ['mounted.conf'], 'stage file removed');
  });
}

test('atomicReplace rethrows other rename errors and leaves the destination alone', async (t) => {
  const dir = await tempDir(t);
  const dest = join(dir, 'x.conf');
  await writeFile(dest, 'old');
  const staged = await stageFile(dest, 'new', {});
  await assert.rejects(atomicReplace(staged, dest, { rename: async () => Promise.reject(errno('EACCES')) }), /EACCES/);
  assert.equal(await readFile(dest, 'utf8'), 'old');
  await staged.discard();
  assert.deepEqual(await list(dir), ['x.conf']);
});

test('makeDirectories creates missing parents', async (t) => {
  const dir = await tempDir(t);
  const nested = join(dir, 'a', 'b', 'c');
  await makeDirectories(nested);
  await makeDirectories(nested);
  const st = await stat(nested);
  assert.ok(st.isDirectory());
  assert.equal(st.mode & 0o700, 0o700);
  assert.equal(st.mode & 0o022, 0, 'never group/world writable');
});

test('unifiedDiff shows a patch from the destination to the new render', async (t) => {
  const dir = await tempDir(t);
  const dest = join(dir, 'd.conf');
  const created = await unifiedDiff(dest, 'a\nb\n');
  assert.match(created, /^--- \/dev\/null/m);
  assert.match(created, /^\+a$/m);
  await writeFile(dest, 'a\nb\n');
  assert.equal(await unifiedDiff(dest, 'a\nb\n'), '');
  const changed = await unifiedDiff(dest, 'a\nc\n', 'haproxy.cfg');
  assert.match(changed, /^--- haproxy\.cfg/m);
  assert.match(changed, /^-b$/m);
  assert.match(changed, /^\+c$/m);
});
