/** docs/status.md's "Log events" table names exactly the `event` values src/ logs, each once. */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = join(import.meta.dirname, '..', '..');

/** Every literal of an `event: '...'` (or `event: cond ? '...' : '...'`) field in src/. */
async function eventsInSource(): Promise<Set<string>> {
  const out = new Set<string>();
  const files = (await readdir(join(root, 'src'), { recursive: true })).filter((f) => f.endsWith('.ts'));
  for (const f of files) {
    const text = await readFile(join(root, 'src', f), 'utf8');
    for (const m of text.matchAll(/\bevent: ([^,}\n]+)/g)) for (const lit of m[1].matchAll(/'([a-z][a-z0-9-]*)'/g)) out.add(lit[1]);
  }
  return out;
}

async function eventsInDocs(): Promise<string[]> {
  const text = await readFile(join(root, 'docs', 'status.md'), 'utf8');
  const start = /^#+ Log events$/m.exec(text);
  assert.ok(start, 'docs/status.md has a Log events heading');
  const section = text.slice(start.index);
  return [...section.matchAll(/^\| `([a-z][a-z0-9-]*)` \| (?:debug|info|warn|error) \|/gm)].map((m) => m[1]);
}

describe('log events', () => {
  it('docs/status.md documents every event src/ logs, and no other', async () => {
    const [code, docs] = [await eventsInSource(), await eventsInDocs()];
    assert.ok(code.size >= 20, `found ${code.size} events in src/`);
    assert.deepEqual(docs.filter((e, i) => docs.indexOf(e) !== i), [], 'each event is documented once');
    assert.deepEqual([...code].filter((e) => !docs.includes(e)).sort(), [], 'events missing from the table');
    assert.deepEqual(docs.filter((e) => !code.has(e)).sort(), [], 'documented events nothing logs');
  });
});
