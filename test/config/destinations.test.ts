/** Defect 7: two templates writing one file (after `.`/`..` and symlinks) is a config error naming both. */
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { load, rejectsConfig, writeTree } from './fixture.ts';

const resource = (name: string, dst: string) => `
[[resource]]
name = "${name}"
  [[resource.template]]
  src = "t.tmpl"
  dst = "${dst}"
  [resource.backend.env]
  keys = ["/app"]
`;

describe('duplicate destinations', () => {
  it('rejects two resources with the same dst, naming both resources and lines', async (t) => {
    const dir = await writeTree(t, { 't.tmpl': '', 'config.toml': resource('a', 'out/x.cfg') + resource('b', 'out/x.cfg') });
    const file = join(dir, 'config.toml');
    await rejectsConfig(load(dir), { file, line: 12, key: 'dst', includes: ['resource "a"', `${file}:4`, 'resource "b"', `${file}:12`] });
  });

  it('rejects the same file spelled with ./ and .. and through a symlinked directory', async (t) => {
    const dir = await writeTree(t, { 't.tmpl': '', 'config.toml': resource('a', 'out/x.cfg') + resource('b', './out/../link/x.cfg') });
    await mkdir(join(dir, 'out'));
    await symlink(join(dir, 'out'), join(dir, 'link'));
    await rejectsConfig(load(dir), { line: 12, includes: ['resource "a"', 'resource "b"', `both resolve to ${join(dir, 'out/x.cfg')}`] });
  });

  it('rejects two templates of one resource writing one file', async (t) => {
    const two = `${resource('a', 'x.cfg')}  [[resource.template]]\n  src = "t.tmpl"\n  dst = "x.cfg"\n`;
    const dir = await writeTree(t, { 't.tmpl': '', 'config.toml': two });
    await rejectsConfig(load(dir), { line: 9, includes: ['resource "a"'] });
  });

  it('accepts distinct destinations', async (t) => {
    const dir = await writeTree(t, { 't.tmpl': '', 'config.toml': resource('a', 'out/x.cfg') + resource('b', 'out/y.cfg') });
    await load(dir);
  });
});
