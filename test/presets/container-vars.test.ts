/**
 * The preset's container settings, rendered from config.toml against the metadata emulator:
 * HAPROXY_LOG=stdout (log stdout instead of syslog), HAPROXY_USER/HAPROXY_GROUP (workers drop
 * root), HAPROXY_SERVER_CHECK (health checks on every server), each off by default, and a bad
 * value refused with the variable's name. The image sets the user and group; test/image/ runs it.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it, before, after } from 'node:test';
import { startRancherMetadata, type RancherMetadataEmulator } from '../emulator/rancher-metadata.ts';
import { rancherHaproxyWorld } from '../emulator/world.ts';
import { runCli } from '../helpers/cli.ts';

const CONFIG = fileURLToPath(new URL('../../config.toml', import.meta.url));

describe('rancher-haproxy preset: container settings', () => {
  let emu: RancherMetadataEmulator;
  before(async () => {
    emu = await startRancherMetadata({ world: rancherHaproxyWorld({ apps: [{ stack: 'app1', containers: 2 }] }) });
  });
  after(() => emu.close());

  const render = (env: Record<string, string>) =>
    runCli(['render', '-c', CONFIG], { env: { PATH: process.env.PATH, STACK_DOMAIN: 'example.com', RANCHER_API_HOST: emu.host, ...env } });

  it('defaults: syslog to the host agent, no user/group, no server checks', async () => {
    const out = await render({});
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^ {2}log 172\.17\.0\.1 daemon$/m);
    assert.doesNotMatch(out.stdout, /^\s*(user|group) /m);
    assert.doesNotMatch(out.stdout, /log stdout/);
    const servers = out.stdout.match(/^ {2}server .*$/gm) ?? [];
    assert.equal(servers.length, 2);
    assert.ok(servers.every((s) => !/\bcheck\b/.test(s)), servers.join('\n'));
  });

  it('HAPROXY_LOG=stdout, HAPROXY_USER/GROUP and HAPROXY_SERVER_CHECK=true', async () => {
    const out = await render({ HAPROXY_LOG: 'stdout', HAPROXY_USER: 'haproxy', HAPROXY_GROUP: 'haproxy', HAPROXY_SERVER_CHECK: 'true', HAPROXY_SERVER_CHECK_INTER: '5s' });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^ {2}log stdout format raw daemon$/m);
    assert.doesNotMatch(out.stdout, /^ {2}log 172\.17\.0\.1/m, 'stdout replaces syslog');
    assert.match(out.stdout, /^ {2}user haproxy\n {2}group haproxy$/m);
    const servers = out.stdout.match(/^ {2}server .*$/gm) ?? [];
    assert.equal(servers.length, 2);
    assert.ok(servers.every((s) => / check inter 5s$/.test(s)), servers.join('\n'));
  });

  it('refuses bad values, naming the variable', async () => {
    for (const [env, re] of [
      [{ HAPROXY_LOG: 'file' }, /HAPROXY_LOG must be empty \(syslog\) or stdout, got file/],
      [{ HAPROXY_SERVER_CHECK: 'sometimes' }, /HAPROXY_SERVER_CHECK/],
      [{ HAPROXY_USER: 'root\n  daemon' }, /HAPROXY_USER/],
    ] as const) {
      const out = await render(env);
      assert.notEqual(out.code, 0, JSON.stringify(env));
      assert.match(out.stderr, re);
    }
  });
});
