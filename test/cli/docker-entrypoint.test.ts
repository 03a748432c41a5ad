/**
 * docker/entrypoint.sh, the image's ENTRYPOINT under tini: no arguments → `keyplate run`; a keyplate
 * command or top-level flag → that command; anything else → `keyplate run <args>`. Its list must
 * name every command of the CLI. Run here with a stand-in `keyplate` that prints its arguments.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createProgram } from '../../src/cli/program.ts';
import { tempDir } from '../helpers/tmp.ts';

const SCRIPT = fileURLToPath(new URL('../../docker/entrypoint.sh', import.meta.url));

async function listed(): Promise<string[]> {
  const m = /case "\$\{1-\}" in\n\s*([^)]+)\)/.exec(await readFile(SCRIPT, 'utf8'));
  assert.ok(m, 'the case list in docker/entrypoint.sh');
  return m[1].split('|').map((s) => s.trim());
}

describe('docker/entrypoint.sh', () => {
  it('passes every CLI command and the top-level flags through', async () => {
    const io = { stdout: new PassThrough(), stderr: new PassThrough(), env: {} };
    const program = createProgram(io, () => undefined);
    const commands = [...program.commands.map((c) => c.name()), 'help'];
    const flags = program.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => !!f);
    assert.deepEqual([...(await listed())].sort(), [...commands, ...flags, '--help', '-h'].sort());
  });

  it('runs keyplate run by default, the command given, or run with the arguments', async (t) => {
    const dir = await tempDir(t, 'keyplate-entrypoint');
    await writeFile(join(dir, 'keyplate'), '#!/bin/sh\necho "keyplate $*"\n');
    await chmod(join(dir, 'keyplate'), 0o755);
    const run = (args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile('/bin/sh', [SCRIPT, ...args], { env: { PATH: `${dir}:/usr/bin:/bin` } }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim()))));
    assert.equal(await run([]), 'keyplate run');
    assert.equal(await run(['render', '--diff']), 'keyplate render --diff');
    assert.equal(await run(['check']), 'keyplate check');
    assert.equal(await run(['keys', '--json']), 'keyplate keys --json');
    assert.equal(await run(['version']), 'keyplate version');
    assert.equal(await run(['--version']), 'keyplate --version');
    assert.equal(await run(['--log-level', 'debug']), 'keyplate run --log-level debug');
    assert.equal(await run(['--onetime']), 'keyplate run --onetime');
  });
});
