import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildStatus } from '../../src/status/document.ts';
import { healthReport } from '../../src/status/health.ts';
import { basicAuthOk, startStatusServer } from '../../src/status/server.ts';
import { CycleRecorder } from '../../src/status/recorder.ts';
import { load, rejectsConfig, writeTree } from '../config/fixture.ts';
import { captureLogger } from '../helpers/logger.ts';
import { source, worker } from './fakes.ts';

const AUTH = { username: 'ops', password: 'Pa55:word é' };
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('status page auth', { timeout: 20_000 }, () => {
  it('checks basic credentials exactly', () => {
    assert.ok(basicAuthOk(basic('ops', 'Pa55:word é'), AUTH));
    for (const h of [undefined, '', basic('ops', 'Pa55:word'), basic('Ops', 'Pa55:word é'), `Bearer ${basic('ops', 'Pa55:word é').slice(6)}`, 'Basic !!!']) {
      assert.equal(basicAuthOk(h, AUTH), false, String(h));
    }
  });

  it('asks for credentials on / and /status, keeps /healthz and /metrics open', async (t) => {
    const rec = new CycleRecorder();
    const statuses = [worker({ resource: 'web', lastSuccessAt: Date.now(), sources: [source({ lastSyncAt: Date.now() })] })];
    const ac = new AbortController();
    t.after(() => ac.abort());
    const log = captureLogger('info');
    const server = await startStatusServer({
      listen: '127.0.0.1:0',
      signal: ac.signal,
      logger: log.logger,
      health: () => healthReport(statuses, Date.now(), { freshnessMs: 60_000 }),
      metrics: async () => 'keyplate_x 1\n',
      contentType: 'text/plain',
      status: (signal) => buildStatus({ version: '1', node: 'v20', startedAt: 0, resources: () => statuses, cycle: (r) => rec.view(r), history: () => [], skips: () => [] }, signal),
      auth: AUTH,
    });
    for (const path of ['/', '/status']) {
      const anon = await fetch(`${server.url}${path}`);
      assert.equal(anon.status, 401, path);
      assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic realm="keyplate"/);
      assert.equal((await fetch(`${server.url}${path}`, { headers: { authorization: basic('ops', 'wrong') } })).status, 401);
      const ok = await fetch(`${server.url}${path}`, { headers: { authorization: basic(AUTH.username, AUTH.password) } });
      assert.equal(ok.status, 200, path);
      const body = await ok.text();
      assert.ok(!body.includes(AUTH.password), 'the password is never echoed');
      if (path === '/') {
        assert.match(ok.headers.get('content-type') ?? '', /^text\/html/);
        assert.match(ok.headers.get('content-security-policy') ?? '', /default-src 'none'/);
        assert.ok(!/<(script|link)[^>]+src=/i.test(body), 'self-contained: no external script or stylesheet');
      } else assert.equal((JSON.parse(body) as { resources: Array<{ name: string }> }).resources[0].name, 'web');
    }
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal(await (await fetch(`${server.url}/metrics`)).text(), 'keyplate_x 1\n');
    assert.ok(!JSON.stringify(log.lines).includes(AUTH.password), 'the password is not logged');
  });

  it('warns when the page is reachable beyond loopback without auth', async (t) => {
    const ac = new AbortController();
    t.after(() => ac.abort());
    const log = captureLogger('info');
    await startStatusServer({ listen: '0.0.0.0:0', signal: ac.signal, logger: log.logger, health: () => healthReport([], 0, { freshnessMs: 1 }), metrics: async () => '', contentType: 'text/plain', status: async () => { throw new Error('unused'); } });
    assert.ok(log.lines.some((l) => l.level === 40 && /without authentication/.test(String(l.msg))));
  });

  it('reads [http] username/password from the config, env-expanded, both or neither', async (t) => {
    const resource = '[[resource]]\nname = "r"\n[[resource.template]]\nsrc = "t.tmpl"\ndst = "out"\n[resource.backend.env]\nkeys = ["/x"]\n';
    let dir = await writeTree(t, { 'config.toml': `[http]\nlisten = "127.0.0.1:0"\nusername = "ops"\npassword = "\${KP_PW}"\n${resource}`, 't.tmpl': '' });
    const { config } = await load(dir, { KP_PW: 'from-env' });
    assert.deepEqual(config.http?.auth, { username: 'ops', password: 'from-env' });
    dir = await writeTree(t, { 'config.toml': `[http]\nusername = "ops"\n${resource}`, 't.tmpl': '' });
    await rejectsConfig(load(dir), { line: 1, key: 'http.password', includes: ['username and password go together'] });
  });
});
