/** `keyplate version` and `--version`: keyplate's version, Node's and the HAProxy found. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parseHaproxyVersion } from '../../src/cli/version.ts';
import { runCli } from '../helpers/cli.ts';
import { requireHaproxy } from '../haproxy/harness.ts';

const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('keyplate version', () => {
  it('prints keyplate (package.json), Node and the HAProxy run would start; --version and -V are the same', async () => {
    await requireHaproxy();
    const env = { PATH: process.env.PATH };
    const out = await runCli(['version'], { env });
    assert.equal(out.code, 0, out.stderr);
    const lines = out.stdout.trimEnd().split('\n');
    assert.equal(lines[0], `keyplate ${pkg.version}`);
    assert.equal(lines[1], `node ${process.version}`);
    assert.match(lines[2], /^haproxy 2\.6\.\S+ \(\/usr\/sbin\/haproxy\)$/);
    for (const flag of ['--version', '-V']) assert.deepEqual(await runCli([flag], { env }), out, flag);
  });

  it('names where it looked when there is no HAProxy, and still exits 0', async () => {
    const out = await runCli(['version'], { env: { PATH: '/nonexistent', HAPROXY_BIN: '/nonexistent/haproxy' } });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^haproxy not found \(\/nonexistent\/haproxy, haproxy\)$/m);
  });

  it('reads the version from haproxy -v', () => {
    assert.equal(parseHaproxyVersion('HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/\nStatus: ...'), '2.6.12-1+deb12u4');
    assert.equal(parseHaproxyVersion('HA-Proxy version 1.8.19 2019/02/11'), '1.8.19');
    assert.equal(parseHaproxyVersion('something else'), undefined);
  });
});
