/**
 * `keyplate confd`: confd's flags (single dash, as confd users type them) and its -config-file
 * become the keyplate config they mean, and an unchanged confdir renders with them.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { confdConfigText, confdSettings } from '../../src/cli/confd-flags.ts';
import { runCli } from '../helpers/cli.ts';
import { writeTree } from '../config/fixture.ts';

const CONFDIR = {
  'confd/conf.d/web.toml': '[template]\nsrc = "web.conf.tmpl"\ndest = "{{DEST}}"\nkeys = ["/services/web"]\n',
  'confd/templates/web.conf.tmpl': '{{ range gets "/services/web/*" }}server {{ base .Key }} {{ .Value }}\n{{ end }}',
  'data.yaml': 'services:\n  web:\n    a: 10.0.0.1:80\n    b: 10.0.0.2:80\n',
};

async function confdir(t: Parameters<typeof writeTree>[0]): Promise<{ dir: string; dest: string }> {
  const dir = await writeTree(t, { ...CONFDIR, 'confd/conf.d/web.toml': '' });
  const dest = join(dir, 'web.conf');
  await writeFile(join(dir, 'confd/conf.d/web.toml'), CONFDIR['confd/conf.d/web.toml'].replace('{{DEST}}', dest));
  return { dir, dest };
}

describe('keyplate confd', () => {
  it('-onetime -backend file renders the confdir with its Go templates', async (t) => {
    const { dir, dest } = await confdir(t);
    const res = await runCli(['confd', '-onetime', '-backend', 'file', '-file', join(dir, 'data.yaml'), '-confdir', join(dir, 'confd'), '-log-level', 'error']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(await readFile(dest, 'utf8'), 'server a 10.0.0.1:80\nserver b 10.0.0.2:80\n');
  });

  it('-noop writes nothing (flags spelled -name=value)', async (t) => {
    const { dir, dest } = await confdir(t);
    const res = await runCli(['confd', '-onetime', '-noop', '-backend=file', `-file=${join(dir, 'data.yaml')}`, `-confdir=${join(dir, 'confd')}`]);
    assert.equal(res.code, 0, res.stderr);
    await assert.rejects(readFile(dest, 'utf8'), { code: 'ENOENT' });
  });

  it('-sync-only writes the file without running check_cmd or reload_cmd', async (t) => {
    const { dir, dest } = await confdir(t);
    const toml = join(dir, 'confd/conf.d/web.toml');
    await writeFile(toml, `${await readFile(toml, 'utf8')}check_cmd = "false {{.src}}"\nreload_cmd = "false"\n`);
    const args = ['confd', '-onetime', '-backend', 'file', '-file', join(dir, 'data.yaml'), '-confdir', join(dir, 'confd'), '-log-level', 'error'];
    assert.notEqual((await runCli(args)).code, 0, 'the failing check_cmd refuses the render');
    await assert.rejects(readFile(dest, 'utf8'), { code: 'ENOENT' });
    const res = await runCli([...args, '-sync-only']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(await readFile(dest, 'utf8'), 'server a 10.0.0.1:80\nserver b 10.0.0.2:80\n');
  });

  it('maps etcd flags: nodes with -scheme, etcdv3 = API v3, auth, TLS, watch or interval', async () => {
    const s = await confdSettings({ backend: 'etcdv3', node: ['10.0.0.1:2379', 'https://e2:2379'], scheme: 'https', prefix: '/prod', basicAuth: true, username: 'u', password: 'p', clientCert: 'c.pem', clientKey: 'k.pem', clientCaKeys: 'ca.pem', watch: true, confdir: 'conf' }, '/work');
    const text = confdConfigText(s);
    assert.match(text, /confdir = "\/work\/conf"/);
    assert.match(text, /\[default_backends\.etcd\]\nprefix = "\/prod"\nwatch = true\n/);
    assert.match(text, /nodes = \["https:\/\/10\.0\.0\.1:2379", "https:\/\/e2:2379"\]/);
    assert.match(text, /version = "3"/);
    assert.match(text, /username = "u"\npassword = "p"\nclient_cert = "c.pem"\nclient_key = "k.pem"\nclient_ca_keys = "ca.pem"/);
    const polled = confdConfigText(await confdSettings({ backend: 'etcd' }, '/'));
    assert.match(polled, /interval = 600/);
    assert.match(polled, /confdir = "\/etc\/confd"/);
    assert.match(polled, /version = "auto"/);
  });

  it('reads confd\'s -config-file; flags win over it', async (t) => {
    const dir = await writeTree(t, { 'confd.toml': 'backend = "etcdv3"\nnodes = ["http://n1:2379"]\nprefix = "/from-file"\ninterval = 30\nlog-level = "debug"\nwatch = true\n' });
    const s = await confdSettings({ configFile: join(dir, 'confd.toml'), prefix: '/from-flag' }, dir);
    assert.deepEqual([s.backend, s.nodes, s.prefix, s.intervalSeconds, s.logLevel, s.watch], ['etcdv3', ['http://n1:2379'], '/from-flag', 30, 'debug', true]);
    const bad = await writeTree(t, { 'confd.toml': 'srv_record = "x"\n' });
    await assert.rejects(confdSettings({ configFile: join(bad, 'confd.toml') }, bad), /srv_record/);
  });

  it('rejects a backend confd has but keyplate confd does not', async () => {
    const res = await runCli(['confd', '-backend', 'consul']);
    assert.notEqual(res.code, 0);
  });
});
