/**
 * A keyplate SIGKILLed while its check_cmd runs leaves the check running (its own process group)
 * and the stage file beside the destination. The next keyplate ends that check at start, removes
 * the stage file and its run record, and then installs normally. A record whose keyplate still
 * runs is left alone.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import { alive } from '../helpers/procs.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

/** Live (non-zombie) members of process group `pgid`. */
async function groupMembers(pgid: number): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const stat = await readFile(`/proc/${e}/stat`, 'utf8').catch(() => '');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (stat && Number(f[2]) === pgid && f[0] !== 'Z') out.push(Number(e));
  }
  return out;
}

async function project(dir: string) {
  await mkdir(join(dir, 'out'));
  await writeFile(join(dir, 'data.yaml'), 'app:\n  port: "8080"\n');
  await writeFile(join(dir, 'app.tmpl'), 'port {{ getv("/app/port") }}\n');
  // holds (sleeps) while the `hold` file exists; its shell's pid (= its process group; `$$$$` is `$$` after the config's own `$` expansion) goes to check.pid
  const check = `if [ -e ${dir}/hold ]; then echo $$$$ > ${dir}/check.pid; sleep 600; fi; test -s {{ src }}`;
  await writeFile(
    join(dir, 'config.toml'),
    [
      '[[resource]]',
      'name = "app"',
      '[[resource.template]]',
      'src = "app.tmpl"',
      'dst = "out/app.cfg"',
      `check_cmd = ${JSON.stringify(check)}`,
      'check_timeout = 900',
      '[resource.backend.file]',
      'filepath = "data.yaml"',
      'keys = ["/app"]',
      '',
    ].join('\n'),
  );
  return { config: join(dir, 'config.toml'), out: join(dir, 'out') };
}

describe('leftovers of a SIGKILLed keyplate', () => {
  for (const next of [[], ['--onetime']]) it(`the next start${next.length ? ` (${next.join(' ')})` : ''} ends the orphaned check_cmd and removes its stage file`, async (t) => {
    const dir = await tempDir(t);
    const p = await project(dir);
    await writeFile(join(dir, 'hold'), '');
    let pgid: number | undefined;
    t.after(async () => {
      if (pgid !== undefined) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // gone, as it should be
        }
      }
    });

    const first = startDaemon(t, { config: p.config, cwd: dir, listen: false });
    pgid = Number(await waitFor(() => readFile(join(dir, 'check.pid'), 'utf8').then((s) => s.trim()).catch(() => ''), { timeoutMs: 30_000, message: 'the check to start' }));
    const leftovers = await readdir(p.out);
    const stage = leftovers.find((n) => n.startsWith('.app.cfg.keyplate-') && !n.endsWith('.run'));
    assert.ok(stage, `a stage file while the check runs: ${leftovers.join(', ')}`);

    first.signal('SIGKILL');
    await first.exit;
    assert.ok((await groupMembers(pgid)).length > 0, 'the check outlives a SIGKILLed keyplate');
    assert.ok(await alive(pgid));

    await rm(join(dir, 'hold'));
    const second = startDaemon(t, { config: p.config, cwd: dir, listen: false, args: next });
    await waitFor(async () => (await groupMembers(pgid!)).length === 0, { timeoutMs: 20_000, message: 'the orphaned check group to be gone' });
    const ended = await second.waitEvent('orphan-check-ended', { timeoutMs: 5_000 });
    assert.ok(Array.isArray(ended.pids) && (ended.pids as number[]).includes(pgid), JSON.stringify(ended));
    await second.waitEvent('installed', { timeoutMs: 30_000 });
    assert.equal(await readFile(join(p.out, 'app.cfg'), 'utf8'), 'port 8080\n');
    // once it is done (the guard's baseline is written after the install): app.cfg.keyplate-state
    // is that baseline (docs/never-stuck.md), not a leftover
    // a one-shot ends by itself; a daemon is stopped
    assert.equal((next.includes('--onetime') ? await second.exit : await second.stop()).code, 0, second.dump());
    assert.deepEqual((await readdir(p.out)).filter((f) => !f.endsWith('.keyplate-state')).sort(), ['app.cfg'], 'no stage file, no run record');
  });
});
