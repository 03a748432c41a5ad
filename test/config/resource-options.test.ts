/** Resource options added for production: guards, missing_keys, vars, template enabled/foreign_marker. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { envResource, load, rejectsConfig, writeTree } from './fixture.ts';

describe('resource options', () => {
  it('reads guards, missing_keys, vars, enabled and foreign_marker', async (t) => {
    const toml = envResource('foreign_marker = "# mine"', 'guard_empty = false\nmax_shrink = "25%"\nmissing_keys = "empty"\n[resource.vars]\ndomain = "${D:-x.tld}"');
    const dir = await writeTree(t, { 'config.toml': toml, 't.tmpl': '' });
    const c = await load(dir, { D: 'dev.tld' });
    const r = c.config.resources[0];
    assert.deepEqual(r.guard, { refuseEmpty: false, maxShrink: 0.25 });
    assert.equal(r.missingKeys, 'empty');
    assert.deepEqual(r.vars, { domain: 'dev.tld' });
    assert.equal(r.templates[0].foreignMarker, '# mine');
  });
  it('defaults: refuse an emptied prefix, allow any shrink, fail on missing keys', async (t) => {
    const dir = await writeTree(t, { 'config.toml': envResource(), 't.tmpl': '' });
    const r = (await load(dir)).config.resources[0];
    assert.deepEqual(r.guard, { refuseEmpty: true, maxShrink: 1 });
    assert.equal(r.missingKeys, 'error');
  });
  it('enabled = "false" (from an env variable) leaves a template out', async (t) => {
    const toml = envResource('', '') + '';
    const two = toml.replace('[resource.backend.env]', '[[resource.template]]\nsrc = "t.tmpl"\ndst = "out/b.conf"\nenabled = "${B:-false}"\n[resource.backend.env]');
    const dir = await writeTree(t, { 'config.toml': two, 't.tmpl': '' });
    assert.equal((await load(dir)).config.resources[0].templates.length, 1);
    assert.equal((await load(dir, { B: "yes" })).config.resources[0].templates.length, 2);
  });
  it('rejects a bad missing_keys and a fraction above 1', async (t) => {
    const bad = await writeTree(t, { 'config.toml': envResource('', 'missing_keys = "ignore"'), 't.tmpl': '' });
    await rejectsConfig(load(bad), { key: 'resource[0].missing_keys', includes: ['expected "error", "default"'] });
    const big = await writeTree(t, { 'config.toml': envResource('', 'max_shrink = 2'), 't.tmpl': '' });
    await rejectsConfig(load(big), { key: 'resource[0].max_shrink', includes: ['fraction'] });
  });
});
