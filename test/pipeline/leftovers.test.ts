/**
 * Smaller never-stuck defects: stage files left by a SIGKILLed keyplate are removed at the next
 * pass; an empty render over a non-empty destination is not silent; a symlinked dst is replaced
 * by a regular file (documented) and its target is left alone.
 */
import assert from 'node:assert/strict';
import { lstat, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { processResource } from '../../src/pipeline/process.ts';
import { captureLogger } from '../helpers/logger.ts';
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
