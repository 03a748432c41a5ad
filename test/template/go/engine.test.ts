/**
 * The Go engine inside keyplate's template engine: the multi-line value guard, missing_keys,
 * the resource's vars as the dot, DNS functions resolved across render passes, the injected
 * clock, and a compiled template reused only while its text is unchanged.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createTemplateEngine } from '../../../src/template/index.ts';
import { MemoryTree } from '../../../src/tree/tree.ts';
import { TemplateError } from '../../../src/errors.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { noDns } from '../render.ts';
import { goRender } from './helpers.ts';

const tree = (pairs: Record<string, string>) => new MemoryTree(Object.entries(pairs));

describe('Go engine in keyplate', () => {
  it('printf zero-pads after a sign or a 0x prefix, as Go does (the padding shared with the Nunjucks printf)', async () => {
    assert.equal(await goRender('{{ printf "%#08x|%08d|%-6s|%+05d" 255 -42 "ab" 7 }}', {}), '0x0000ff|-0000042|ab    |+0007');
  });

  it('refuses a backend value with a line break through {{ }}, naming the key and file:line:col', async () => {
    await assert.rejects(goRender('ok\n  {{ getv "/pem" }}', { '/pem': 'a\nb' }), (e: unknown) => {
      assert.ok(e instanceof TemplateError);
      assert.deepEqual(e.keys, ['/pem']);
      assert.match(e.message, /test\.tmpl:2:6: .*\/pem contains a line break/);
      return true;
    });
    const engine = createTemplateEngine({ env: {}, resolver: noDns });
    const out = await engine.renderString('{{ getv "/pem" }}', 't.tmpl', { resource: 'r', tree: tree({ '/pem': 'a\nb' }), engine: 'go', allowMultiline: true });
    assert.equal(out, 'a\nb');
  });

  it('missing_keys = "empty" renders a missing getv as ""', async () => {
    const engine = createTemplateEngine({ env: {}, resolver: noDns });
    const out = await engine.renderString('[{{ getv "/nope" }}]', 't.tmpl', { resource: 'r', tree: tree({}), engine: 'go', missingKeys: 'empty' });
    assert.equal(out, '[]');
  });

  it('the dot is the resource vars when there are any, else nil as in confd', async () => {
    const engine = createTemplateEngine({ env: {}, resolver: noDns });
    const render = (vars: Record<string, unknown>) => engine.renderString('{{ .port }}|{{ . }}', 't.tmpl', { resource: 'r', tree: tree({}), engine: 'go', vars: { vars } });
    assert.equal(await render({ port: '8080' }), '8080|map[port:8080]');
    assert.equal(await render({}), '<no value>|<no value>');
  });

  it('resolves lookupIP and lookupSRV across render passes', async () => {
    const resolver = {
      lookupIP: async (host: string) => (host === 'db' ? ['10.0.0.2', '10.0.0.1', 'fe80::1'] : []),
      lookupSRV: async () => [{ target: 'a.example', port: 5432, priority: 1, weight: 10 }],
    };
    const engine = createTemplateEngine({ env: {}, resolver });
    const out = await engine.renderString('{{ range lookupIPV4 "db" }}{{ . }} {{ end }}{{ lookupIPV6 "db" }} {{ range lookupSRV "pg" "tcp" "example" }}{{ .Target }}:{{ .Port }}{{ end }}', 't.tmpl', { resource: 'r', tree: tree({}), engine: 'go' });
    assert.equal(out, '10.0.0.1 10.0.0.2 [fe80::1] a.example.:5432');
  });

  it('datetime reads the injected clock; getenv the injected env', async () => {
    const engine = createTemplateEngine({ env: { REGION: 'eu' }, resolver: noDns, now: () => new Date('2026-05-06T07:08:09Z') });
    const out = await engine.renderString('{{ datetime.UTC.Format "2006-01-02T15:04:05Z07:00" }} {{ getenv "REGION" }} {{ getenv "HOME" "none" }}', 't.tmpl', { resource: 'r', tree: tree({}), engine: 'go' });
    assert.equal(out, '2026-05-06T07:08:09Z eu none');
  });

  it('picks up an edited template file on the next render', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'x.tmpl');
    const engine = createTemplateEngine({ env: {}, resolver: noDns });
    const input = { resource: 'r', tree: tree({ '/a': '1' }), engine: 'go' as const };
    await writeFile(file, 'one {{ getv "/a" }}');
    assert.equal(await engine.renderFile(file, input), 'one 1');
    await writeFile(file, 'two {{ getv "/a" }}');
    assert.equal(await engine.renderFile(file, input), 'two 1');
    await writeFile(file, '{{ if }}');
    assert.throws(() => engine.compileFile(file, 'r', 'go'), /x\.tmpl:1:7: missing value for if/);
  });
});

describe('large output', () => {
  it('is built in chunks and comes out whole and in order', async () => {
    const pairs: Record<string, string> = {};
    let expected = '';
    for (let i = 0; i < 20_000; i++) {
      const k = `/svc/s${String(i).padStart(5, '0')}`;
      pairs[k] = `10.0.${i >> 8 & 255}.${i & 255}:80`;
    }
    for (const k of Object.keys(pairs).sort()) expected += `server ${k.slice(5)} ${pairs[k]}\n`;
    const out = await goRender('{{range gets "/svc/*"}}server {{base .Key}} {{.Value}}\n{{end}}', pairs);
    assert.ok(out.length > 4 * 65_536, `${out.length} chars: several chunks`);
    assert.ok(out === expected);
  });
});
