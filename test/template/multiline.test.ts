/**
 * Values that cannot become directives: a backend value holding CR/LF/NUL is never written through
 * `{{ }}` (the render fails naming the key and the position), unless `| multiline` or
 * allow_multiline_values says so. Template text and template-made line breaks are unaffected.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { TemplateError } from '../../src/errors.ts';
import { MemoryTree } from '../../src/tree/tree.ts';
import { engine } from './render.ts';

const SEED = fileURLToPath(new URL('../../examples/registrator-etcd/haproxy.tmpl', import.meta.url));
const HOSTILE = '127.0.0.1:80\n    stats enable\n    stats uri /pwn';

const seedTree = (extra: Record<string, string> = {}) =>
  new MemoryTree(Object.entries({
    '/config/web/scheme': 'http',
    '/services/web/host1:web.1:80': '10.0.0.1:80',
    '/services/web/host2:web.2:80': HOSTILE,
    ...extra,
  }));

const refusedFor = (key: string, line?: number) => (e: unknown) => {
  assert.ok(e instanceof TemplateError, String(e));
  assert.deepEqual(e.keys, [key]);
  assert.match(e.message, new RegExp(key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.match(e.message, /line break/);
  if (line !== undefined) assert.equal(e.line, line);
  return true;
};

describe('multi-line values', () => {
  it('the seed registrator template refuses a hostile registration, naming the key and line', async () => {
    const src = await readFile(SEED, 'utf8');
    await assert.rejects(
      engine().renderString(src, SEED, { resource: 'r', tree: seedTree() }),
      refusedFor('/services/web/host2:web.2:80', 42),
    );
  });

  it('renders the seed normally once the value is single-line', async () => {
    const src = await readFile(SEED, 'utf8');
    const out = await engine().renderString(src, SEED, { resource: 'r', tree: seedTree({ '/services/web/host2:web.2:80': '10.0.0.2:80' }) });
    assert.match(out, /server server_web_host2:web.2:80 10.0.0.2:80/);
  });

  it('catches a value after trim, and a NUL or a lone CR', async () => {
    for (const v of ['a\n  stats enable', 'a\0b', 'a\rb']) {
      const tree = new MemoryTree([['/k', v]]);
      await assert.rejects(engine().renderString('x {{ getv("/k") | trim }}\n', 't', { resource: 'r', tree }), refusedFor('/k', 1));
    }
  });

  it('catches a key name with a line break', async () => {
    const tree = new MemoryTree([['/hosts/a\nstats enable', 'web']]);
    await assert.rejects(engine().renderString('{% for k in ls("/hosts") %}{{ k }}\n{% endfor %}', 't', { resource: 'r', tree }), refusedFor('/hosts/a\nstats enable'));
  });

  it('leaves line breaks the template makes alone', async () => {
    const tree = new MemoryTree([['/a/1', 'x'], ['/a/2', 'y']]);
    const out = await engine().renderString('{{ getvs("/a/*") | join("\\n") }}|{% set s = "p\\nq" %}{{ s }}', 't', { resource: 'r', tree });
    assert.equal(out, 'x\ny|p\nq');
  });

  it('writes a multi-line value through | multiline or allow_multiline_values', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    const tree = new MemoryTree([['/pem', pem]]);
    assert.equal(await engine().renderString('{{ getv("/pem") | multiline }}', 't', { resource: 'r', tree }), pem);
    assert.equal(await engine().renderString('{{ getv("/pem") }}', 't', { resource: 'r', tree, allowMultiline: true }), pem);
    await assert.rejects(engine().renderString('{{ getv("/pem") }}', 't', { resource: 'r', tree }), refusedFor('/pem', 1));
  });

  it('checks output written inside macros and included templates', async () => {
    const tree = new MemoryTree([['/k', 'a\nb']]);
    await assert.rejects(engine().renderString('{% macro m() %}{{ getv("/k") }}{% endmacro %}{{ m() }}', 't', { resource: 'r', tree }), (e: unknown) => e instanceof TemplateError && e.keys?.[0] === '/k');
  });
});
