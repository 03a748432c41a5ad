import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TemplateSpec } from '../../src/config/types.ts';
import { CommandStepError } from '../../src/pipeline/step-error.ts';
import type { ProcessResult } from '../../src/pipeline/process.ts';
import { buildStatus, type StatusSources } from '../../src/status/document.ts';
import { isSecretFile, isSecretName, MASK, maskText } from '../../src/status/mask.ts';
import { CycleRecorder } from '../../src/status/recorder.ts';
import { source, worker } from './fakes.ts';

const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';

describe('maskText', () => {
  it('hides credentials in URLs, PEM blocks, stats auth, passwords and tokens', () => {
    const cases: Array<[string, string]> = [
      ['connecting to http://kp:S3CRET@127.0.0.1:2379 failed', 'S3CRET'],
      [`cert:\n${PEM}\n`, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'],
      ['+  stats auth admin:St4tsPw', 'St4tsPw'],
      ['  user alice insecure-password Wonder1and', 'Wonder1and'],
      ['password=abc123xyz&x=1', 'abc123xyz'],
      ['{"token": "tok-999"}', 'tok-999'],
      ['Authorization: Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz'],
    ];
    for (const [text, secret] of cases) {
      const masked = maskText(text);
      assert.ok(!masked.includes(secret), `${JSON.stringify(text)} → ${JSON.stringify(masked)}`);
      assert.ok(masked.includes(MASK), `${JSON.stringify(masked)} shows that something was masked`);
    }
  });

  it('leaves names alone: a registration id with "secret" in it, server lines', () => {
    for (const text of ['/services/web/docker9:secret-token:80', 'server docker1:web.1:80 10.0.0.1:80 id 7', 'use_backend %[req.hdr(host),lower,map(/etc/hosts.map)]']) {
      assert.equal(maskText(text), text);
    }
  });

  it('knows secret key names and secret files', () => {
    for (const k of ['/self/service/metadata/ssl_key', 'STATS_PASSWORD', '/app/db/password', '/x/api_key', '/x/auth_token', '/tls/server.pem', '/services/web/docker9:secret-token:80']) assert.ok(isSecretName(k), k);
    for (const k of ['/services/web/docker1:web.1:80', '/hosts/www.example.com', '/keys', '/containers/web/labels/port']) assert.ok(!isSecretName(k), k);
    assert.ok(isSecretFile('/etc/haproxy/server.pem'));
    assert.ok(isSecretFile('/etc/app.conf', 0o600));
    assert.ok(!isSecretFile('/etc/haproxy/haproxy.cfg', 0o644));
  });
});

function spec(dst: string, mode?: number): TemplateSpec {
  return { dst, mode } as unknown as TemplateSpec;
}

function changed(resource: string, files: Array<[TemplateSpec, string]>): ProcessResult {
  const templates = files.map(([template, contents]) => ({ template, contents, wouldChange: true, changed: true, diff: { content: true, mode: false, owner: false } as const }));
  return { resource, wouldChange: true, changed: true, templates, durationMs: 3 };
}

describe('status document masks', () => {
  it('shows a masked diff of the last change, hides secret files, and masks check output', () => {
    let now = 1_000;
    const rec = new CycleRecorder({ now: () => now });
    const cfg = spec('/etc/haproxy/haproxy.cfg', 0o644);
    const pem = spec('/etc/haproxy/server.pem', 0o600);
    rec.observe({ resource: 'r', ok: true, result: changed('r', [[cfg, 'listen stats\n  stats auth admin:Old-Pw-1\n'], [pem, PEM]]), durationMs: 3 });
    now = 2_000;
    rec.observe({ resource: 'r', ok: true, result: changed('r', [[cfg, 'listen stats\n  stats auth admin:New-Pw-2\n  bind :8404\n'], [pem, `${PEM}\n`]]), durationMs: 3 });
    const v = rec.view('r');
    const cfgChange = v.lastChange?.find((c) => c.dst === cfg.dst);
    assert.match(cfgChange?.diff ?? '', /\+  bind :8404/);
    assert.ok(!/Old-Pw-1|New-Pw-2/.test(cfgChange?.diff ?? ''), 'the stats password is masked in the diff');
    const pemChange = v.lastChange?.find((c) => c.dst === pem.dst);
    assert.equal(pemChange?.diff, undefined);
    assert.match(pemChange?.note ?? '', /secret file/);

    const result = { command: 'haproxy -c -f x', exitCode: 1, signal: null, timedOut: false, stdout: '', stderr: 'line 3: stats auth admin:Bad-Pw-3 rejected', durationMs: 4 };
    rec.observe({ resource: 'r', ok: false, error: new CommandStepError('r', 'check', 'check_cmd exited 1', { result, template: cfg.dst }), durationMs: 1 });
    assert.equal(rec.view('r').rejected?.dst, cfg.dst);
    assert.ok(!(rec.view('r').rejected?.output ?? '').includes('Bad-Pw-3'));
    assert.equal(rec.view('r').lastCheck?.ok, false);
  });

  it('never shows a secret-looking key value, a quarantined secret value or URL credentials', async () => {
    const rec = new CycleRecorder();
    const src: StatusSources = {
      version: '0.0.0',
      node: 'v20',
      startedAt: 0,
      resources: () => [
        {
          ...worker({ resource: 'r', lastSuccessAt: 1, sources: [source({ connected: false, lastError: 'GET http://kp:Etcd-Pw-4@127.0.0.1:2379/v2/keys: ECONNREFUSED' })] }),
          quarantined: [{ key: '/app/db_password', value: 'Quar-Pw-5', reason: 'haproxy rejected it', since: 1 }, { key: '/services/web/x', value: '[::::]:80', reason: 'could not resolve', since: 2 }],
        },
      ],
      cycle: (r) => rec.view(r),
      history: () => rec.history(),
      skips: () => [{ resource: 'r', item: '/self/service/metadata/ssl_key', reason: 'bad value', detail: '"Skip-Secret-6" is not PEM', since: 5 }],
    };
    const json = JSON.stringify(await buildStatus(src));
    for (const secret of ['Etcd-Pw-4', 'Quar-Pw-5', 'Skip-Secret-6']) assert.ok(!json.includes(secret), `${secret} in ${json}`);
    assert.ok(json.includes('[::::]:80'), 'a value that is not secret is shown');
    const doc = JSON.parse(json) as { problems: Array<{ kind: string; since?: string }>; ok: boolean };
    assert.deepEqual(doc.problems.map((p) => p.kind).sort(), ['backend', 'quarantined', 'quarantined', 'skipped']);
    assert.equal(doc.problems.find((p) => p.kind === 'skipped')?.since, new Date(5).toISOString(), 'times are ISO 8601');
    assert.equal(doc.ok, false);
  });
});
