/** README.md is generated from docs/: it must be current, and it must name every backend kind and config section. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildReadme } from '../../scripts/build-readme.ts';
import { backendKinds } from '../../src/backends/registry.ts';
import { ExitCode } from '../../src/errors.ts';

const root = join(import.meta.dirname, '..', '..');

describe('README.md', () => {
  it('is up to date with docs/ (run `npm run readme`)', async () => {
    assert.equal(await readFile(join(root, 'README.md'), 'utf8'), await buildReadme(root));
  });
  it('documents every backend kind, every exit code and every command', async () => {
    const text = await readFile(join(root, 'README.md'), 'utf8');
    for (const kind of backendKinds()) assert.match(text, new RegExp(`\\| \`${kind}\` \\|`), kind);
    for (const code of Object.values(ExitCode)) assert.match(text, new RegExp(`^\\| ${code} \\|`, 'm'), `exit ${code}`);
    for (const cmd of ['run', 'render', 'keys', 'check']) assert.ok(text.includes(`\`keyplate ${cmd}`), cmd);
  });
});
