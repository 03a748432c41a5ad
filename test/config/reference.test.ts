import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { referenceMarkdown } from '../../src/config/reference.ts';
import { configSchema } from '../../src/config/schema.ts';
import { load, writeTree } from './fixture.ts';

const DOC = fileURLToPath(new URL('../../docs/config-reference.md', import.meta.url));

describe('docs/config-reference.md', () => {
  it('embeds the key reference generated from the schema', async () => {
    const text = await readFile(DOC, 'utf8');
    const m = /<!-- keys:begin -->\n([\s\S]*)\n<!-- keys:end -->/.exec(text);
    assert.ok(m, 'markers present');
    assert.equal(m[1], referenceMarkdown(), 'regenerate the section with referenceMarkdown()');
    for (const section of Object.values(configSchema)) {
      for (const key of Object.keys(section.keys)) assert.ok(m[1].includes(`\`${key}\``), key);
    }
  });

  it('has examples that load', async (t) => {
    const text = await readFile(DOC, 'utf8');
    const blocks = [...text.matchAll(/```toml\n([\s\S]*?)```/g)].map((b) => b[1]);
    assert.ok(blocks.length >= 2);
    const dir = await writeTree(t, {
      'config.toml': blocks[0].replace('log_level = "info"\n', 'log_level = "info"\ninclude_dir = "inc"\n'),
      'templates/haproxy.cfg.njk': '',
      'inc/edge.toml': blocks[1].replace('/etc/keyplate/templates/haproxy.cfg.njk', '../templates/haproxy.cfg.njk').replace('/etc/haproxy/haproxy.cfg', '/etc/haproxy/edge.cfg'),
    });
    const { config, warnings } = await load(dir, {});
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.resources.map((r) => r.name), ['haproxy', 'edge']);
    assert.deepEqual(config.resources[0].backends[0].options, { nodes: ['http://127.0.0.1:2379'], version: 'auto', requestTimeoutMs: 10_000, longPollMs: 60_000, watchdogMs: 10_000 });
    assert.deepEqual(config.resources[0].debounce, { minMs: 200, maxMs: 2000 });
  });
});
