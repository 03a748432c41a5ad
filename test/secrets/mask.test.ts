/** The one masking function: URL credentials, secret-looking names and key/value pairs. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { BackendError, errorMessage, ResourceError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { isSecretName, mask, maskText, maskValue } from '../../src/secrets/mask.ts';

describe('mask', () => {
  it('removes credentials from URLs of any scheme, anywhere in a string', () => {
    assert.equal(maskText('connect http://kp:SECRET@127.0.0.1:2379 failed'), 'connect http://kp:***@127.0.0.1:2379 failed');
    assert.equal(maskText('etcd://kp:SECRET@a:1,b:2/x'), 'etcd://kp:***@a:1,b:2/x');
    assert.equal(maskText('["https://SECRET@h/"]'), '["https://***@h/"]');
    assert.equal(maskText('target dns:kp:SECRET@127.0.0.1:1'), 'target dns:kp:***@127.0.0.1:1');
    assert.equal(maskText('http://127.0.0.1:2379/v3/kv'), 'http://127.0.0.1:2379/v3/kv');
  });

  it('hides PEM blocks, `stats auth` passwords and Authorization headers in free text (a check_cmd output, a diff)', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----';
    assert.equal(maskText(`cert:\n${pem}\nend`), 'cert:\n-----BEGIN PRIVATE KEY----- *** (PEM contents hidden)\nend');
    assert.equal(maskText('  stats auth admin:hunter2'), '  stats auth admin:***');
    assert.equal(maskText('Authorization: Bearer abc.def'), 'Authorization: Bearer ***');
    assert.equal(maskText('stats auth admin:x', '••••'), 'stats auth admin:••••', 'a caller may choose the mask');
  });

  it('masks name=value pairs whose name looks secret', () => {
    assert.equal(maskText('password=SECRET user=kp'), 'password=*** user=kp');
    assert.equal(maskText('{"db_token":"SECRET"}'), '{"db_token":"***"}');
  });

  it('knows secret-looking names, in snake, kebab and camel case and as key paths', () => {
    for (const n of ['password', 'db_password', 'ssl_key', 'clientKey', 'authToken', 'API-KEY', '/self/service/metadata/ssl_key', 'secret']) assert.ok(isSecretName(n), n);
    for (const n of ['key', 'value', 'oauthx', 'lastError', 'keys', '/services/web/a', 'passive', 'tokens']) assert.ok(!isSecretName(n), n);
    assert.equal(maskValue('/app/db_password', 'SECRET'), '***');
    assert.equal(maskValue('/app/host', 'http://u:SECRET@h'), 'http://u:***@h');
  });

  it('walks objects: secret properties, key/value pairs with a secret key, nested strings', () => {
    const out = mask({ password: 'SECRET', pair: { key: '/app/api_key', value: 'SECRET' }, list: ['http://u:SECRET@h'], ok: { key: '/a', value: 'v' } });
    assert.deepEqual(out, { password: '***', pair: { key: '/app/api_key', value: '***' }, list: ['http://u:***@h'], ok: { key: '/a', value: 'v' } });
  });

  it('masks every typed error message and errorMessage()', () => {
    assert.doesNotMatch(new BackendError('etcd', 'http://kp:SECRET@h: refused').message, /SECRET/);
    assert.doesNotMatch(new ResourceError('r', 'fetch', 'http://kp:SECRET@h').message, /SECRET/);
    assert.doesNotMatch(errorMessage(new Error('etcd://kp:SECRET@h')), /SECRET/);
  });

  for (const format of ['json', 'text'] as const) {
    it(`masks every log line at trace level (${format})`, () => {
      const sink = new PassThrough();
      let out = '';
      sink.on('data', (c) => (out += String(c)));
      const log = createLogger({ level: 'trace', format, destination: sink });
      log.trace({ url: 'http://kp:SECRET@h:1' }, 'dialing http://kp:SECRET@h:1');
      log.debug({ key: '/app/password', value: 'SECRET' }, 'value');
      log.warn({ err: new Error('etcd://kp:SECRET@h') }, 'failed');
      log.info({ options: { token: 'SECRET', nodes: ['http://SECRET@h'] } }, 'options');
      assert.match(out, /dialing/);
      assert.equal(out.split('\n').filter((l) => l !== '').length, 4);
      assert.doesNotMatch(out, /SECRET/);
    });
  }
});
