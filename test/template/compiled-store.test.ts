import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { diskCompiledStore, type CompiledStore } from '../../src/template/compiled-store.ts';
import { MemoryTree } from '../../src/tree/tree.ts';
import { tempDir } from '../helpers/tmp.ts';
import { engine } from './render.ts';

const TEMPLATE = `{% for s in ls("/services") %}{{ s }}={{ getv("/services/" + s) }}{% if not loop.last %},{% endif %}{% endfor %}\n{% include "part.tmpl" %}`;
const PART = '{% if ls("/none") %}never{% else %}empty is false{% endif %}\n';
const tree = () => new MemoryTree([['/services/a', '1'], ['/services/b', '2']]);
const EXPECTED = 'a=1,b=2empty is false'; // trimBlocks: no newline after a tag

/** A store that counts what it is asked. */
function counting(inner: CompiledStore) {
  const n = { gets: 0, hits: 0, puts: 0 };
  const store: CompiledStore = {
    get(name, source, settings) {
      n.gets++;
      const code = inner.get(name, source, settings);
      if (code !== undefined) n.hits++;
      return code;
    },
    put(name, source, settings, code) {
      n.puts++;
      inner.put(name, source, settings, code);
    },
  };
  return { store, n };
}

async function renderWith(dir: string, store: CompiledStore): Promise<string> {
  return engine({ compiled: store }).renderFile(join(dir, 'main.tmpl'), { resource: 'r', tree: tree() });
}

describe('compiled templates on disk', () => {
  it('a second engine (a new process) renders from the stored code, templates it includes too', async (t) => {
    const dir = await tempDir(t, 'keyplate-compiled');
    await writeFile(join(dir, 'main.tmpl'), TEMPLATE);
    await writeFile(join(dir, 'part.tmpl'), PART);
    const first = counting(diskCompiledStore(join(dir, 'cache'), 'build-1'));
    assert.equal(await renderWith(dir, first.store), EXPECTED);
    assert.deepEqual(first.n, { gets: 2, hits: 0, puts: 2 });
    const second = counting(diskCompiledStore(join(dir, 'cache'), 'build-1'));
    assert.equal(await renderWith(dir, second.store), EXPECTED);
    assert.deepEqual(second.n, { gets: 2, hits: 2, puts: 0 });
    const st = (await readdir(join(dir, 'cache'))).filter((f) => f.endsWith('.js'));
    assert.equal(st.length, 2);
  });

  it('an edited template, another build or other settings compile again', async (t) => {
    const dir = await tempDir(t, 'keyplate-compiled');
    const store = diskCompiledStore(join(dir, 'cache'), 'build-1');
    store.put('t.tmpl', 'text', 'settings', 'return 1;');
    assert.equal(store.get('t.tmpl', 'text', 'settings'), 'return 1;');
    assert.equal(store.get('t.tmpl', 'text edited', 'settings'), undefined);
    assert.equal(store.get('other.tmpl', 'text', 'settings'), undefined);
    assert.equal(store.get('t.tmpl', 'text', 'other settings'), undefined);
    assert.equal(diskCompiledStore(join(dir, 'cache'), 'build-2').get('t.tmpl', 'text', 'settings'), undefined);
  });

  it('a damaged entry is compiled again and replaced; a syntax error is never stored', async (t) => {
    const dir = await tempDir(t, 'keyplate-compiled');
    await writeFile(join(dir, 'main.tmpl'), TEMPLATE);
    await writeFile(join(dir, 'part.tmpl'), PART);
    const cache = join(dir, 'cache');
    await renderWith(dir, diskCompiledStore(cache, 'b'));
    for (const f of await readdir(cache)) {
      const text = await readFile(join(cache, f), 'utf8');
      await writeFile(join(cache, f), `${text.slice(0, text.indexOf('\n') + 1)}this is not javascript {{{`);
    }
    const again = counting(diskCompiledStore(cache, 'b'));
    assert.equal(await renderWith(dir, again.store), EXPECTED);
    assert.deepEqual(again.n, { gets: 2, hits: 2, puts: 2 });
    assert.equal(await renderWith(dir, diskCompiledStore(cache, 'b')), EXPECTED);

    await writeFile(join(dir, 'main.tmpl'), '{% if %}');
    const broken = counting(diskCompiledStore(cache, 'b'));
    await assert.rejects(renderWith(dir, broken.store));
    assert.equal(broken.n.puts, 0);
  });

  it('never reads a directory others may write', async (t) => {
    const dir = await tempDir(t, 'keyplate-compiled');
    const cache = join(dir, 'cache');
    diskCompiledStore(cache, 'b').put('t', 's', 'x', 'return 1;');
    await chmod(cache, 0o777);
    const store = diskCompiledStore(cache, 'b');
    assert.equal(store.get('t', 's', 'x'), undefined);
    store.put('u', 's', 'x', 'return 2;');
    assert.equal((await readdir(cache)).length, 1, 'nothing written there either');
  });

  it('a directory it cannot create turns it off without failing a render', async (t) => {
    const dir = await tempDir(t, 'keyplate-compiled');
    await writeFile(join(dir, 'main.tmpl'), TEMPLATE);
    await writeFile(join(dir, 'part.tmpl'), PART);
    await mkdir(join(dir, 'file-not-dir'));
    await writeFile(join(dir, 'file-not-dir', 'x'), '');
    assert.equal(await renderWith(dir, diskCompiledStore(join(dir, 'file-not-dir', 'x', 'cache'), 'b')), EXPECTED);
  });
});
