/** Errors that point at something to open: `<dst>.rejected`, the cited line, the template line; keep_stage_file; the dry run's check on a copy. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { shellQuote as q } from '../../src/exec/command.ts';
import { CommandStepError, processResource } from '../../src/pipeline/process.ts';
import { tempDir } from '../helpers/tmp.ts';
import { deps, list, resource, template } from './fixtures.ts';

/** A checker that refuses any file containing "bogus", naming the line like `haproxy -c` does. */
const REFUSE_BOGUS = `n=$(grep -n bogus {{.src}} | head -1 | cut -d: -f1); if [ -n "$n" ]; then echo "[ALERT] config : parsing [{{.src}}:$n] : unknown keyword 'bogus'" >&2; exit 1; fi`;

const TEMPLATE = 'global\n    maxconn {{ n }}\n{% include "extra.njk" %}\n';
const EXTRA = 'defaults\n    bogus {{ word }}\n';

async function project(t: Parameters<typeof tempDir>[0], over: { mode?: number; keepStageFile?: boolean } = {}) {
  const dir = join(await tempDir(t), 'etc');
  await mkdir(dir);
  await writeFile(join(dir, 'haproxy.cfg.tmpl'), TEMPLATE);
  await writeFile(join(dir, 'extra.njk'), EXTRA);
  const tpl = template(dir, 'haproxy.cfg', { checkCmd: REFUSE_BOGUS, ...over });
  return { dir, tpl, spec: resource([tpl]) };
}

const reject = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail('expected a check failure'),
    (e: unknown) => {
      assert.ok(e instanceof CommandStepError, String(e));
      return e;
    },
  );

test('a rejected render is kept at <dst>.rejected; the error cites its line and the template line that produced it', async (t) => {
  const { dir, tpl, spec } = await project(t);
  await writeFile(tpl.dst, 'old\n');
  const bad = 'global\n    maxconn 10\ndefaults\n    bogus yes\n';
  const err = await reject(processResource(deps({ [tpl.dst]: bad }), spec, { noop: false }));
  const kept = `${tpl.dst}.rejected`;
  assert.equal(await readFile(kept, 'utf8'), bad);
  assert.equal((await stat(kept)).mode & 0o777, 0o644, 'a world-readable destination gives a world-readable rejected file');
  assert.ok(err.message.includes(`${kept}:4: bogus yes  (from ${join(dir, 'extra.njk')}:2)`), err.message);
  assert.ok(err.message.includes(`parsing [${kept}:4]`), err.message);
  assert.doesNotMatch(err.message, /\.haproxy\.cfg\.keyplate-/, 'the deleted stage file is never cited');
  assert.equal(await readFile(tpl.dst, 'utf8'), 'old\n');
  assert.deepEqual(await list(dir), ['extra.njk', 'haproxy.cfg', 'haproxy.cfg.rejected', 'haproxy.cfg.tmpl']);
});

test('the rejected file is replaced by each rejection and removed once a render passes', async (t) => {
  const { tpl, spec } = await project(t);
  const kept = `${tpl.dst}.rejected`;
  await reject(processResource(deps({ [tpl.dst]: 'bogus 1\n' }), spec, { noop: false }));
  await reject(processResource(deps({ [tpl.dst]: 'ok\nbogus 2\n' }), spec, { noop: false }));
  assert.equal(await readFile(kept, 'utf8'), 'ok\nbogus 2\n');
  const r = await processResource(deps({ [tpl.dst]: 'fine\n' }), spec, { noop: false });
  assert.equal(r.changed, true);
  await assert.rejects(stat(kept), { code: 'ENOENT' });
});

test('a secret destination (mode 0600) gives a 0600 rejected file and no rendered text in the error', async (t) => {
  const { dir, tpl, spec } = await project(t, { mode: 0o600 });
  const err = await reject(processResource(deps({ [tpl.dst]: 'key SECRET-VALUE\nbogus SECRET-VALUE\n' }), spec, { noop: false }));
  assert.equal((await stat(`${tpl.dst}.rejected`)).mode & 0o777, 0o600);
  assert.doesNotMatch(err.message, /SECRET-VALUE/);
  assert.ok(err.message.includes(`${tpl.dst}.rejected:2:  (from ${join(dir, 'extra.njk')}:2)`), err.message);
});

test('keep_stage_file keeps every stage file; without it none is left', async (t) => {
  const kept = await project(t, { keepStageFile: true });
  await reject(processResource(deps({ [kept.tpl.dst]: 'bogus\n' }), kept.spec, { noop: false }));
  await processResource(deps({ [kept.tpl.dst]: 'good\n' }), kept.spec, { noop: false }); // installed: renamed onto dst
  await processResource(deps({ [kept.tpl.dst]: 'good\n' }), kept.spec, { noop: false }); // in sync: stage kept
  const stages = (await list(kept.dir)).filter((n) => n.startsWith('.haproxy.cfg.keyplate-'));
  assert.equal(stages.length, 2, String(await list(kept.dir)));
  assert.deepEqual(await readFile(join(kept.dir, stages.find(Boolean)!), 'utf8').then((s) => ['bogus\n', 'good\n'].includes(s)), true);

  const plain = await project(t);
  await reject(processResource(deps({ [plain.tpl.dst]: 'bogus\n' }), plain.spec, { noop: false }));
  await processResource(deps({ [plain.tpl.dst]: 'good\n' }), plain.spec, { noop: false });
  assert.deepEqual((await list(plain.dir)).filter((n) => n.startsWith('.')), []);
});

test('dry run: check_cmd runs on a temporary copy with the same placeholders; the destination is untouched (same inode)', async (t) => {
  const { dir, tpl } = await project(t);
  const seen = join(dir, '..', 'seen');
  const a = { ...tpl, checkCmd: `printf '%s %s\\n' {{.src}} {{.dst}} >> ${q(seen)}; ${REFUSE_BOGUS}` };
  const b = template(dir, 'other.cfg', { checkCmd: `echo "other.cfg: line 1 refused" >&2; exit 2` });
  await writeFile(a.dst, 'old a\n');
  await writeFile(b.dst, 'old b\n');
  const before = [await stat(a.dst), await stat(b.dst)];
  const err = await reject(processResource(deps({ [a.dst]: 'maxconn 1\nbogus x\n', [b.dst]: 'b\n' }), resource([a, b]), { noop: true, checkCopies: true }));
  assert.equal(err.step, 'check');
  assert.match(err.message, /2 templates rejected/);
  assert.ok(err.message.includes(`${a.dst} (as rendered):2: bogus x  (from ${join(dir, 'extra.njk')}:2)`), err.message);
  assert.match(err.message, /other\.cfg: line 1 refused/);
  const [src, dst] = (await readFile(seen, 'utf8')).trim().split(' ');
  assert.equal(dst, a.dst);
  assert.notEqual(src, a.dst);
  assert.ok(!src.startsWith(dir), `the copy is not beside the destination: ${src}`);
  await assert.rejects(stat(src), { code: 'ENOENT' }, 'the copy is removed');
  const after = [await stat(a.dst), await stat(b.dst)];
  assert.deepEqual(after.map((s) => [s.ino, s.mtimeMs, s.size]), before.map((s) => [s.ino, s.mtimeMs, s.size]));
  assert.equal(await readFile(a.dst, 'utf8'), 'old a\n');
  assert.deepEqual(await list(dir), ['extra.njk', 'haproxy.cfg', 'haproxy.cfg.tmpl', 'other.cfg']);
});

test('dry run: a render every check accepts passes and reports the checks', async (t) => {
  const { tpl, spec } = await project(t);
  const r = await processResource(deps({ [tpl.dst]: 'maxconn 1\n' }), spec, { noop: true, checkCopies: true });
  assert.equal(r.templates[0].check?.exitCode, 0);
  assert.equal(r.changed, false);
  await assert.rejects(stat(tpl.dst), { code: 'ENOENT' });
});
