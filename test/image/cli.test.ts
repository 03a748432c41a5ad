/**
 * The image's entrypoint runs keyplate commands (`docker run --rm keyplate render --diff`, check,
 * keys, version: the "Dry runs" block of docs/docker.md, run as written) and passes anything else to
 * `keyplate run`. The preset reads the Rancher metadata emulator on the host (--network=host).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, before, after } from 'node:test';
import { startRancherMetadata, type RancherMetadataEmulator } from '../emulator/rancher-metadata.ts';
import { rancherHaproxyWorld } from '../emulator/world.ts';
import { docsBlock, ensureImage, IMAGE, podman, REPO, runDocsCommand, type Result } from './podman.ts';

describe('podman run --rm keyplate <command>', { timeout: 300_000 }, () => {
  let emu: RancherMetadataEmulator;
  let lines: string[];
  const results = new Map<string, Result>();

  before(async () => {
    await ensureImage();
    emu = await startRancherMetadata({ world: rancherHaproxyWorld({ apps: [{ stack: 'app1' }], aliases: { app1: ['www'] } }) });
    lines = (await docsBlock('## Dry runs')).split('\n').filter((l) => l.startsWith('docker run'));
    assert.deepEqual(lines.map((l) => l.split(' keyplate ')[1]), ['render --diff', 'check', 'keys', 'version']);
    for (const l of lines) results.set(l.split(' keyplate ')[1], await runDocsCommand(l, { plumbing: ['--network=host', `-e=RANCHER_API_HOST=${emu.host}`] }));
  });
  after(() => emu?.close());

  const ok = (cmd: string): Result => {
    const r = results.get(cmd)!;
    assert.equal(r.code, 0, `${cmd}: ${r.stdout}${r.stderr}`);
    return r;
  };

  it('render --diff prints what the preset would write, as a diff against nothing', () => {
    const r = ok('render --diff');
    assert.match(r.stdout, /^--- \/dev\/null$/m);
    assert.match(r.stdout, /^\+\+\+ \/usr\/local\/etc\/haproxy\/domain\.map$/m);
    assert.match(r.stdout, /^\+app1\.dev\.example\.com app1$/m);
    assert.match(r.stdout, /^\+www\.dev\.example\.com app1$/m);
  });

  it('check validates the preset and compiles its templates (3: the PEM only with ENABLE_SSL)', () => {
    assert.match(ok('check').stdout, /^\/etc\/keyplate\/config\.toml: ok \(1 resource\(s\), 3 template\(s\)\)$/m);
  });

  it('keys prints the metadata key tree the templates see', () => {
    assert.match(ok('keys').stdout, /^\/self\/service\/metadata\/aliases\/app1\/0 = "www"$/m);
  });

  it('version prints keyplate, the Node in the image and its Debian HAProxy', async () => {
    const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
    assert.match(ok('version').stdout, new RegExp(`^keyplate ${pkg.version.replaceAll('.', '\\.')}\nnode v\\d+\\.\\d+\\.\\d+\nhaproxy 2\\.6\\.\\S+ \\(/usr/sbin/haproxy\\)\n$`));
  });

  it('anything else goes to keyplate run (here a one-time noop pass)', async () => {
    const r = await podman(['run', '--rm', '--network=host', '-e', `RANCHER_API_HOST=${emu.host}`, '-e', 'STACK_DOMAIN=dev.example.com', IMAGE, '--onetime', '--noop']);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /keyplate: 1 ok, 0 failed/);
    assert.match(r.stderr, /haproxy: would change \(noop\)/);
  });

  it('a bad command is refused by keyplate run, not silently ignored', async () => {
    const r = await podman(['run', '--rm', '--network=host', IMAGE, '--no-such-flag']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown option '--no-such-flag'/);
  });
});
