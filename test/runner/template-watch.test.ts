/** Template watching: edits of a template or of a file it includes name the resources to render again. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TemplateWatcher, type WatchDir } from '../../src/runner/template-watch.ts';
import { silentLogger } from '../helpers/logger.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

async function project(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'a.njk'), 'a {% include "common.njk" %}\n');
  await writeFile(join(dir, 'b.njk'), 'b\n');
  await writeFile(join(dir, 'common.njk'), 'common\n');
  return dir;
}

test('real fs.watch: an edit of a template, of an include, and a write-and-rename each re-render exactly the resources using them', async (t) => {
  const dir = await project(t);
  const seen: string[] = [];
  const w = new TemplateWatcher({ logger: silentLogger(), onChange: (r) => seen.push(r), quietMs: 20 });
  t.after(() => w.close());
  await w.update([
    { name: 'A', templates: [join(dir, 'a.njk')] },
    { name: 'B', templates: [join(dir, 'b.njk')] },
  ]);
  assert.deepEqual(w.files(), [join(dir, 'a.njk'), join(dir, 'b.njk'), join(dir, 'common.njk')]);

  await writeFile(join(dir, 'common.njk'), 'common v2\n');
  await waitFor(() => seen.includes('A'), { message: 'A re-rendered after an include edit' });
  assert.deepEqual(seen, ['A']);

  seen.length = 0;
  await writeFile(join(dir, '.b.njk.swp'), 'b v2\n');
  await rename(join(dir, '.b.njk.swp'), join(dir, 'b.njk')); // how editors save
  await waitFor(() => seen.includes('B'), { message: 'B re-rendered after write-and-rename' });
  assert.deepEqual(seen, ['B']);

  seen.length = 0;
  await writeFile(join(dir, 'new.njk'), 'new\n');
  await writeFile(join(dir, 'b.njk'), 'b {% include "new.njk" %}\n'); // a new include is watched from now on
  await waitFor(() => seen.includes('B'), { message: 'B re-rendered after its edit' });
  await waitFor(() => w.files().includes(join(dir, 'new.njk')), { message: 'the new include is watched' });
  seen.length = 0;
  await writeFile(join(dir, 'new.njk'), 'new v2\n');
  await waitFor(() => seen.includes('B'), { message: 'B re-rendered after an edit of its new include' });
  assert.deepEqual(seen, ['B']);
});

test('events without a change of text (touch, unrelated files, bursts) render nothing or once', async (t) => {
  const dir = await project(t);
  const listeners = new Map<string, (name: string | null) => void>();
  const watchDir: WatchDir = (d, onEvent) => {
    listeners.set(d, onEvent);
    return { close: () => listeners.delete(d) };
  };
  const seen: string[] = [];
  const w = new TemplateWatcher({ logger: silentLogger(), onChange: (r, files) => seen.push(`${r}:${files.length}`), watchDir, quietMs: 5 });
  await w.update([{ name: 'A', templates: [join(dir, 'a.njk')] }]);
  const fire = listeners.get(dir)!;
  fire('a.njk'); // same text
  fire('unrelated.txt');
  await w.settled();
  assert.deepEqual(seen, []);
  await writeFile(join(dir, 'a.njk'), 'a2 {% include "common.njk" %}\n');
  for (let i = 0; i < 5; i++) fire('a.njk'); // one save, many events
  fire(null);
  await w.settled();
  assert.deepEqual(seen, ['A:1']);
  w.close();
  assert.equal(listeners.size, 0, 'close stops every directory watch');
});

test('watch_templates = false: no directory is watched; rescan (SIGHUP) names the resources whose files changed, once', async (t) => {
  const dir = await project(t);
  const watchDir: WatchDir = () => assert.fail('no watch when disabled');
  const seen: string[] = [];
  const w = new TemplateWatcher({ logger: silentLogger(), onChange: (r) => seen.push(r), watchDir, watch: false });
  t.after(() => w.close());
  await w.update([
    { name: 'A', templates: [join(dir, 'a.njk')] },
    { name: 'B', templates: [join(dir, 'b.njk')] },
  ]);
  assert.deepEqual(await w.rescan(), []);
  await writeFile(join(dir, 'common.njk'), 'common v3\n');
  assert.deepEqual(await w.rescan(), ['A']);
  assert.deepEqual(await w.rescan(), [], 'a change is reported once');
  assert.deepEqual(seen, []);
});
