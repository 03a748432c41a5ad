/**
 * Which template language a template is written in: `engine = "go"` on `[[resource.template]]`,
 * every template of a confd `confdir`, and Nunjucks otherwise (a `.tmpl` name alone decides nothing).
 */
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { load, rejectsConfig, writeTree } from './fixture.ts';

const resource = (extra: string) =>
  `[[resource]]\nname = "r"\n[[resource.template]]\nsrc = "t.tmpl"\ndst = "out.conf"\n${extra}\n[resource.backend.env]\nkeys = ["/x"]\n`;

describe('template engine rule', () => {
  it('defaults to nunjucks for a .tmpl file and takes engine = "go"', async (t) => {
    let dir = await writeTree(t, { 'config.toml': resource(''), 't.tmpl': '{{ x }}' });
    assert.equal((await load(dir)).config.resources[0].templates[0].engine, undefined);
    dir = await writeTree(t, { 'config.toml': resource('engine = "go"'), 't.tmpl': '{{ .x }}' });
    assert.equal((await load(dir)).config.resources[0].templates[0].engine, 'go');
    dir = await writeTree(t, { 'config.toml': resource('engine = "nunjucks"'), 't.tmpl': '{{ x }}' });
    assert.equal((await load(dir)).config.resources[0].templates[0].engine, undefined);
  });

  it('rejects an unknown engine naming file:line', async (t) => {
    const dir = await writeTree(t, { 'config.toml': resource('engine = "jinja"'), 't.tmpl': '' });
    await rejectsConfig(load(dir), { file: join(dir, 'config.toml'), line: 6, key: 'resource[0].template[0].engine', includes: ['"nunjucks", "go"'] });
  });

  it('makes every confdir template a Go template', async (t) => {
    const dir = await writeTree(t, {
      'config.toml': 'confdir = "confd"\n[default_backends.env]\nkeys = ["/x"]\n',
      'confd/conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "a.conf"\nkeys = ["/x"]\n',
      'confd/templates/a.tmpl': '{{ getv "/x" }}',
    });
    assert.equal((await load(dir)).config.resources[0].templates[0].engine, 'go');
  });
});
