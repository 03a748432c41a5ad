/**
 * Golden tests: every example renders from its bundled data to its checked-in expected output,
 * and the output passes real `haproxy -c`. `npm start` prints the etcd-haproxy render.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { haproxyCheck } from '../helpers/haproxy.ts';
import { tempDir } from '../helpers/tmp.ts';

const root = join(import.meta.dirname, '..', '..');
const examples = readdirSync(join(root, 'examples')).filter((d) => existsSync(join(root, 'examples', d, 'offline.toml')));

describe('examples render to their golden files', () => {
  it('has examples', () => assert.ok(examples.length >= 1));
  for (const name of examples) {
    it(`${name}: offline render equals expected.cfg and passes haproxy -c`, async (t) => {
      const dir = join(root, 'examples', name);
      const res = await runCli(['render', '-c', join(dir, 'offline.toml')], { env: { PATH: process.env.PATH } });
      assert.equal(res.code, 0, res.stderr);
      const expected = await readFile(join(dir, 'expected.cfg'), 'utf8');
      assert.equal(res.stdout, expected);
      await haproxyCheck(await tempDir(t), res.stdout);
    });
  }
  it('npm start prints the etcd-haproxy example, then what to try next on stderr', async () => {
    const expected = await readFile(join(root, 'examples/etcd-haproxy/expected.cfg'), 'utf8');
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile('npm', ['start', '--silent'], { cwd: root }, (err, out, errOut) => (err ? reject(new Error(errOut)) : resolve({ stdout: out, stderr: errOut }))),
    );
    assert.equal(stdout, expected);
    const next = stderr.split('\n').filter((l) => l.startsWith('next: '));
    assert.equal(next.length, 2, stderr);
    assert.match(next[0], /keyplate render --diff -c examples\/etcd-haproxy\/offline\.toml/);
    assert.match(next[1], /keyplate run -c examples\/etcd-haproxy\/config\.toml/);
  });
});
