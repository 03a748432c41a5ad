/** The generated parts of docs/ (config keys, backend options) match the schema and the backends' definitions. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fill, SECTIONS, staleSections } from '../../scripts/gen-config-reference.ts';
import { backendDefinitions } from '../../src/backends/registry.ts';

const root = join(import.meta.dirname, '..', '..');

describe('generated reference pages', () => {
  it('are current (run `npx tsx scripts/gen-config-reference.ts`)', async () => {
    assert.deepEqual(await staleSections(root), []);
  });

  it('list every option of every backend kind', async () => {
    const text = await readFile(join(root, 'docs/backends.md'), 'utf8');
    for (const def of backendDefinitions()) {
      assert.ok(text.includes(`### [resource.backend.${def.kind}]`), def.kind);
      for (const option of Object.keys(def.options.keys)) assert.ok(text.includes(`| \`${option}\` |`), `${def.kind}.${option}`);
    }
  });

  it('notice a stale section', () => {
    const section = SECTIONS[0];
    const stale = `<!-- ${section.name}:begin -->\nold text\n<!-- ${section.name}:end -->\n`;
    assert.notEqual(fill(stale, section), stale);
    assert.throws(() => fill('no markers here', section), /markers/);
  });
});
