/** User-info in etcd node URLs: used as username/password, removed from the node, conflicts rejected. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBackendUri } from '../../src/cli/uri.ts';
import { load, rejectsConfig, writeTree } from './fixture.ts';

const cfg = (backend: string) => `[[resource]]
name = "a"
  [[resource.template]]
  src = "t.tmpl"
  dst = "x.cfg"
  [resource.backend.etcd]
  keys = ["/app"]
${backend}
`;

describe('etcd node URL credentials', () => {
  it('become username/password and leave the node', async (t) => {
    const dir = await writeTree(t, { 't.tmpl': '', 'config.toml': cfg('  nodes = ["http://kp:S%40CRET@127.0.0.1:2379", "127.0.0.1:2380"]') });
    const { config } = await load(dir);
    const o = config.resources[0].backends[0].options as Record<string, unknown>;
    assert.deepEqual(o.nodes, ['http://127.0.0.1:2379', '127.0.0.1:2380']);
    assert.equal(o.username, 'kp');
    assert.equal(o.password, 'S@CRET');
  });

  it('on the command line too (etcd://user:password@host)', () => {
    const o = parseBackendUri('etcd://kp:SECRET@127.0.0.1:2379').options as Record<string, unknown>;
    assert.doesNotMatch(JSON.stringify(o.nodes), /kp|SECRET|@/);
    assert.equal(o.username, 'kp');
    assert.equal(o.password, 'SECRET');
  });

  it('rejects credentials that differ from username/password or between nodes, without echoing them', async (t) => {
    const a = await writeTree(t, { 't.tmpl': '', 'config.toml': cfg('  nodes = ["http://kp:SECRET@h:2379"]\n  username = "other"\n  password = "x"') });
    const e = await rejectsConfig(load(a), { line: 8, includes: ['differ'] });
    assert.doesNotMatch(e.message, /SECRET/);
    const b = await writeTree(t, { 't.tmpl': '', 'config.toml': cfg('  nodes = ["http://kp:SECRET@h:2379", "http://kp:OTHER@h2:2379"]') });
    await rejectsConfig(load(b), { includes: ['different credentials'] });
  });
});
