/**
 * Smaller never-stuck defects: stage files left by a SIGKILLed keyplate are removed at the next
 * pass; a check_cmd it left running is ended only when its run record really names it (never a
 * live keyplate's, never a process that merely reuses a recorded pid); an empty render over a non-empty destination is not silent; a symlinked dst is replaced
 * by a regular file (documented) and its target is left alone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { lstat, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { processResource } from '../../src/pipeline/process.ts';
import { checkRecordPath, cleanLeftovers } from '../../src/pipeline/leftovers.ts';
import { procStat } from '../../src/exec/procfs.ts';
import { RUN_ENV } from '../../src/exec/run-record.ts';
import { alive } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';
import { captureLogger, silentLogger } from '../helpers/logger.ts';
import { tempDir } from '../helpers/tmp.ts';
import { deps, list, resource, template } from './fixtures.ts';

describe('leftovers and silent surprises', () => {
  it('removes stage files an earlier keyplate left behind, and says so', async (t) => {
    const dir = await tempDir(t);
    const tpl = template(dir, 'app.cfg');
    await writeFile(join(dir, '.app.cfg.keyplate-0123456789ab'), 'half written');
    await writeFile(join(dir, '.other.cfg.keyplate-0123456789ab'), 'not ours');
    const log = captureLogger();
    await processResource({ ...deps({ [tpl.dst]: 'new\n' }), logger: log.logger }, resource([tpl]), { noop: false });
    assert.deepEqual(await list(dir), ['.other.cfg.keyplate-0123456789ab', 'app.cfg']);
    assert.ok(log.lines.some((l) => /removed stage files/.test(String(l.msg))));
  });

  it('warns when an empty render replaces a non-empty destination', async (t) => {
    const dir = await tempDir(t);
    const tpl = template(dir, 'app.cfg');
    await writeFile(tpl.dst, 'server a 1\n');
    const log = captureLogger();
    await processResource({ ...deps({ [tpl.dst]: '\n' }), logger: log.logger }, resource([tpl]), { noop: false });
    assert.ok(log.lines.some((l) => l.level === 40 && /render is empty/.test(String(l.msg))));
  });

  it('replaces a symlinked dst with a regular file and leaves the link target alone', async (t) => {
    const dir = await tempDir(t);
    const tpl = template(dir, 'app.cfg');
    await writeFile(join(dir, 'target.cfg'), 'old\n');
    await symlink(join(dir, 'target.cfg'), tpl.dst);
    await processResource(deps({ [tpl.dst]: 'new\n' }), resource([tpl]), { noop: false });
    assert.ok((await lstat(tpl.dst)).isFile());
    assert.equal(await readFile(tpl.dst, 'utf8'), 'new\n');
    assert.equal(await readFile(join(dir, 'target.cfg'), 'utf8'), 'old\n');
  });
});

/** A `sleep` in its own process group (as check_cmd runs), killed when the test ends. */
function sleeper(t: { after(fn: () => unknown): void }, env: Record<string, string> = {}): number {
  const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH, ...env } });
  child.unref();
  t.after(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  });
  return child.pid!;
}

const TOKEN = 'a'.repeat(32);

describe('run records of check_cmd', () => {
  it('ends the recorded command of a keyplate that is gone, then removes the record', async (t) => {
    const dir = await tempDir(t);
    const tpl = template(dir, 'app.cfg');
    const pid = sleeper(t, { [RUN_ENV]: TOKEN });
    const start = (await procStat(pid))!.start;
    await writeFile(checkRecordPath(tpl.dst), JSON.stringify({ token: TOKEN, owner: { pid, start: start - 1 }, group: { pid, start } }));
    const log = captureLogger();
    await cleanLeftovers(tpl, log.logger);
    await waitFor(async () => !(await alive(pid)), { message: 'the recorded command to end' });
    assert.deepEqual(await list(dir), []);
    assert.ok(log.lines.some((l) => l.event === 'orphan-check-ended'));
  });

  it('never kills a process that only reuses a recorded pid (other start time, no token)', async (t) => {
    const dir = await tempDir(t);
    const tpl = template(dir, 'app.cfg');
    const pid = sleeper(t);
    const start = (await procStat(pid))!.start;
    await writeFile(checkRecordPath(tpl.dst), JSON.stringify({ token: TOKEN, owner: { pid: 999_999_999, start: 1 }, group: { pid, start: start - 1 } }));
    await cleanLeftovers(tpl, silentLogger());
    assert.ok(await alive(pid), 'an unrelated process survives');
    assert.deepEqual(await list(dir), [], 'the stale record is removed');
  });

  it('leaves the record and the stage files of a keyplate that still runs', async (t) => {
    const dir = await tempDir(t);
    const tpl = template(dir, 'app.cfg');
    const pid = sleeper(t, { [RUN_ENV]: TOKEN });
    const me = (await procStat(process.pid))!.start;
    await writeFile(checkRecordPath(tpl.dst), JSON.stringify({ token: TOKEN, owner: { pid: process.pid, start: me } }));
    await writeFile(join(dir, '.app.cfg.keyplate-0123456789ab'), 'being checked');
    await cleanLeftovers(tpl, silentLogger());
    assert.ok(await alive(pid));
    assert.deepEqual(await list(dir), ['.app.cfg.keyplate-0123456789ab', '.app.cfg.keyplate-check.run']);
  });

  it('a check_cmd runs with a record beside the destination, removed when it ends', async (t) => {
    const dir = await tempDir(t);
    const tpl = template(dir, 'app.cfg', { checkCmd: `ls -A ${dir} > ${dir}/seen; echo "$${RUN_ENV}" >> ${dir}/seen` });
    await processResource(deps({ [tpl.dst]: 'new\n' }), resource([tpl]), { noop: false });
    const seen = (await readFile(join(dir, 'seen'), 'utf8')).split('\n');
    assert.ok(seen.includes('.app.cfg.keyplate-check.run'), seen.join(' '));
    assert.match(seen.at(-2)!, /^[0-9a-f]{32}$/, 'the token is in the command\'s environment');
    assert.deepEqual(await list(dir), ['app.cfg', 'seen']);
  });
});
