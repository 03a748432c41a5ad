/**
 * Defect 5: a check that timed out, a reload that failed until a dependency came up, and an
 * install that hit a full disk are retried (backoff, no data change needed) and recover; a real
 * rejection (check_cmd exits non-zero) is not retried until the data changes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it, type TestContext } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { startLoop } from './loop-harness.ts';

const run = promisify(execFile);
const read = (p: string) => readFile(p, 'utf8').catch(() => '');
const LIST = '{% for s in gets("/services/*") %}server {{ s.Key | base }} {{ s.Value }}\n{% endfor %}';

/** A tiny tmpfs (root), else a directory this non-root user cannot write; `free()` makes room. */
async function fullDir(t: TestContext, dir: string): Promise<{ path: string; free(): Promise<void>; kind: string }> {
  if (process.getuid?.() === 0) {
    const path = await mkdtemp(join(tmpdir(), 'keyplate-small-'));
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', path]);
    t.after(async () => {
      await run('umount', ['-l', path]).catch(() => undefined);
      await rm(path, { recursive: true, force: true });
    });
    // fill it: writes fail with ENOSPC until the filler goes
    await writeFile(join(path, 'filler'), Buffer.alloc(60 * 1024)).catch(() => undefined);
    for (let i = 0; ; i++) {
      try {
        await writeFile(join(path, `f${i}`), Buffer.alloc(1024));
      } catch {
        break;
      }
    }
    return { path, kind: 'ENOSPC', free: () => run('sh', ['-c', `rm -f ${path}/f* ${path}/filler`]).then(() => undefined) };
  }
  const path = join(dir, 'small');
  await mkdir(path);
  await run('chmod', ['0555', path]);
  return { path, kind: 'EACCES', free: () => run('chmod', ['0755', path]).then(() => undefined) };
}

describe('retries after transient failures', () => {
  it('a check_cmd that timed out is checked again, without a data change', async (t) => {
    const h = await startLoop(t, {
      template: LIST,
      data: { '/services/a': '1' },
      checkCmd: `if [ -e "$(dirname {{.src}})/slow" ]; then sleep 30; fi; exit 0`,
      templateOver: { checkTimeoutMs: 300 },
      dst: async (dir) => {
        await writeFile(join(dir, 'slow'), '');
        return join(dir, 'app.cfg');
      },
    });
    await waitFor(() => h.logs.lines.some((l) => /timed out|retrying after a transient failure/.test(JSON.stringify(l))), { timeoutMs: 30_000, message: 'the check timed out' });
    assert.equal(await read(h.dst), '');
    await rm(join(h.dir, 'slow'));
    await waitFor(async () => (await read(h.dst)) === 'server a 1\n', { timeoutMs: 15_000, message: 'installed after the retry' });
  });

  it('a reload that fails until its dependency is up is retried and succeeds', async (t) => {
    const h = await startLoop(t, {
      template: LIST,
      data: { '/services/a': '1' },
      templateOver: { reloadCmd: 'test -e "$(dirname {{.dst}})/dep"' },
    });
    await waitFor(() => h.logs.lines.some((l) => l.msg === 'reload failed, rolled back'), { timeoutMs: 30_000, message: 'a failed reload' });
    await writeFile(join(h.dir, 'dep'), '');
    await waitFor(() => h.logs.lines.some((l) => l.msg === 'reload succeeded'), { timeoutMs: 15_000, message: 'the reload succeeded on a retry' });
    assert.equal(await read(h.dst), 'server a 1\n');
  });

  it('an install that hit a full (or unwritable) directory is retried once there is room', async (t) => {
    let small: Awaited<ReturnType<typeof fullDir>> | undefined;
    const h = await startLoop(t, {
      template: `${LIST}{{ getv("/pad") }}\n`,
      data: { '/services/a': '1', '/pad': 'x'.repeat(8192) },
      dst: async (dir) => {
        small = await fullDir(t, dir);
        return join(small.path, 'app.cfg');
      },
    });
    await waitFor(() => h.logs.lines.some((l) => l.code === 'E_STAGE' || l.code === 'E_INSTALL'), { timeoutMs: 30_000, message: 'the install failed' });
    assert.match(JSON.stringify(h.logs.lines.find((l) => l.code === 'E_STAGE' || l.code === 'E_INSTALL')), new RegExp(small!.kind));
    await small!.free();
    await waitFor(async () => (await read(h.dst)).startsWith('server a 1\n'), { timeoutMs: 15_000, message: 'installed after the retry' });
  });

  it('a real rejection is not retried until the data changes', async (t) => {
    const h = await startLoop(t, { template: LIST, data: { '/services/a': '1' }, checkCmd: '! grep -q BAD {{.src}}' });
    await waitFor(async () => (await read(h.dst)) === 'server a 1\n', { timeoutMs: 30_000, message: 'first render' });
    // the template, not the data, makes every render fail the check: quarantine cannot take it
    await writeFile(join(h.dir, 'app.njk'), `BAD\n${LIST}`);
    h.mem.set('/services/b', '2');
    await waitFor(() => h.logs.lines.some((l) => l.code === 'E_CHECK'), { timeoutMs: 30_000, message: 'rejected' });
    assert.ok(h.logs.lines.some((l) => /quarantine could not isolate/.test(String(l.msg))), 'the fallback is loud');
    const real = h.calls.real;
    assert.equal(h.loop.retryFailed(), false, 'a rejection is not retried');
    assert.equal(h.logs.lines.some((l) => /retrying after a transient failure/.test(String(l.msg))), false);
    assert.equal(h.calls.real, real);
    await writeFile(join(h.dir, 'app.njk'), LIST);
    h.mem.set('/services/b', '3');
    await waitFor(async () => (await read(h.dst)) === 'server a 1\nserver b 3\n', { timeoutMs: 30_000, message: 'the data change installs' });
  });
});
