/**
 * rancher-haproxy preset end to end, SSL and stats: a self-signed certificate (Debian openssl)
 * served through the service metadata (ssl_cert/ssl_key), raw and base64; the HTTPS listener,
 * the port-80 redirect (301, or SSL_REDIRECTION_TYPE), the PEM's mode and marker, an
 * operator-mounted PEM that must never be overwritten, and the stats page behind basic auth.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { addApp, DOMAIN, fileStates, startEmulator, startKeyplate } from '../helpers/rancher-stack.ts';
import { get, makeCert, startBackend } from './rancher-net.ts';

const MARKER = '# keyplate: generated from Rancher metadata';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('rancher-haproxy preset end to end: SSL and stats', () => {
  it('serves HTTPS with the metadata certificate (raw), redirects with 301 and protects stats', async (t: TestContext) => {
    const cert = await makeCert(await tempDir(t, 'keyplate-cert'), DOMAIN);
    const app = await startBackend(t, 'app1');
    const emu = await startEmulator(t, { sslCert: cert.cert, sslKey: cert.key });
    addApp(emu, 'app1', 'web', app);
    const kp = await startKeyplate(t, emu, {
      apiVersion: '2016-07-29',
      env: { ENABLE_SSL: 'true', ENABLE_SSL_REDIRECTION: 'true', ENABLE_STATS: 'true', STATS_USERNAME: 'admin', STATS_PASSWORD: 's3cret' },
    });

    await t.test('the PEM is written 0600 with the marker, cert and key', async () => {
      const pem = await readFile(kp.files.pem, 'utf8');
      assert.ok(pem.startsWith(MARKER), pem.slice(0, 80));
      assert.ok(pem.includes(cert.cert.trim()) && pem.includes(cert.key.trim()));
      assert.equal((await stat(kp.files.pem)).mode & 0o777, 0o600);
      assert.match(await kp.check(), /Configuration file is valid/);
    });

    await t.test('HTTPS answers with that certificate and routes by host', async () => {
      const r = await get(kp.ports.https, `app1.${DOMAIN}`, { ca: cert.cert });
      assert.deepEqual([r.status, r.body], [200, 'app1']);
      assert.equal(r.certFingerprint, cert.fingerprint256);
      assert.equal((await get(kp.ports.https, `nothing.${DOMAIN}`, { ca: cert.cert })).status, 503);
    });

    await t.test('port 80 redirects to https with 301', async () => {
      const r = await get(kp.ports.http, `app1.${DOMAIN}`, { path: '/some/page?q=1' });
      assert.equal(r.status, 301);
      assert.equal(r.headers.location, `https://app1.${DOMAIN}/some/page?q=1`);
      assert.equal(app.hits, 1, 'only the HTTPS request reached the backend');
    });

    await t.test('stats: 401 without or with wrong credentials, 200 with them', async () => {
      assert.equal((await get(kp.ports.stats, 'localhost')).status, 401);
      assert.equal((await get(kp.ports.stats, 'localhost', { auth: 'admin:wrong' })).status, 401);
      const ok = await get(kp.ports.stats, 'localhost', { auth: 'admin:s3cret' });
      assert.equal(ok.status, 200);
      assert.match(ok.body, /Statistics Report/);
    });

    await t.test('a new certificate in the metadata replaces the PEM and reloads HAProxy', async () => {
      const next = await makeCert(await tempDir(t, 'keyplate-cert'), DOMAIN, 'rotated');
      const mark = kp.logs.length;
      emu.setServiceMetadata('proxy', 'HTTP', { aliases: {}, ssl_cert: next.cert, ssl_key: next.key });
      await waitFor(async () => (await get(kp.ports.https, `app1.${DOMAIN}`, { ca: next.cert })).certFingerprint === next.fingerprint256, {
        timeoutMs: 20_000,
        message: 'HTTPS to serve the rotated certificate',
      });
      await kp.daemon.waitEvent('applied', { from: mark });
      assert.deepEqual(kp.daemon.events('applied', mark).map((l) => l.method), ['reload']);
      assert.equal((await stat(kp.files.pem)).mode & 0o777, 0o600);
    });

    assert.equal(await kp.stop(), 0, kp.daemon.dump(-10));
  });

  it('decodes a base64 certificate (SSL_BASE64_ENCODED) and honours SSL_REDIRECTION_TYPE=302', async (t: TestContext) => {
    const cert = await makeCert(await tempDir(t, 'keyplate-cert'), DOMAIN);
    const app = await startBackend(t, 'app1');
    const emu = await startEmulator(t, { sslCert: b64(cert.cert), sslKey: b64(cert.key) });
    addApp(emu, 'app1', 'web', app);
    const kp = await startKeyplate(t, emu, {
      apiVersion: '2015-12-19',
      env: { ENABLE_SSL: 'on', ENABLE_SSL_REDIRECTION: 'yes', SSL_REDIRECTION_TYPE: '302', SSL_BASE64_ENCODED: 'true' },
    });
    const pem = await readFile(kp.files.pem, 'utf8');
    assert.ok(pem.startsWith(MARKER) && pem.includes(cert.cert.trim()) && pem.includes(cert.key.trim()), 'the PEM holds the decoded cert and key');
    assert.equal((await stat(kp.files.pem)).mode & 0o777, 0o600);
    const r = await get(kp.ports.https, `app1.${DOMAIN}`, { ca: cert.cert });
    assert.deepEqual([r.status, r.body, r.certFingerprint], [200, 'app1', cert.fingerprint256]);
    const redirect = await get(kp.ports.http, `app1.${DOMAIN}`);
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.location, `https://app1.${DOMAIN}/`);
    assert.equal((await get(kp.ports.stats, 'localhost').catch((e: Error) => e)) instanceof Error, true, 'stats is off by default');
    assert.equal(await kp.stop(), 0, kp.daemon.dump(-10));
  });

  it('never overwrites an operator-mounted PEM (no marker), with or without a certificate in the metadata', async (t: TestContext) => {
    const dir = await tempDir(t, 'keyplate-cert');
    const operator = await makeCert(dir, DOMAIN, 'operator');
    const fromMetadata = await makeCert(dir, DOMAIN, 'metadata');
    const app = await startBackend(t, 'app1');
    const more = await startBackend(t, 'app1-more');
    // like the image: with a mounted PEM the service metadata need not carry ssl_cert/ssl_key
    const emu = await startEmulator(t);
    addApp(emu, 'app1', 'web', app);
    const kp = await startKeyplate(t, emu, {
      apiVersion: '2016-07-29',
      env: { ENABLE_SSL: 'true' },
      prepare: async (files) => {
        await mkdir(dirname(files.pem), { recursive: true });
        await writeFile(files.pem, operator.pem, { mode: 0o640 });
      },
    });
    const [mounted] = await fileStates([kp.files.pem]);
    assert.equal(mounted?.content.toString(), operator.pem, 'the operator PEM is untouched after the first render');
    const r = await get(kp.ports.https, `app1.${DOMAIN}`, { ca: operator.cert });
    assert.deepEqual([r.status, r.body, r.certFingerprint], [200, 'app1', operator.fingerprint256]);
    // a certificate appears in the metadata, and a later change re-renders everything: still the operator's PEM
    emu.setServiceMetadata('proxy', 'HTTP', { aliases: {}, ssl_cert: fromMetadata.cert, ssl_key: fromMetadata.key });
    addApp(emu, 'app1', 'web', more);
    await waitFor(async () => (await get(kp.ports.https, `app1.${DOMAIN}`, { ca: operator.cert })).body === 'app1-more', {
      timeoutMs: 20_000,
      message: 'the new container to serve app1 over HTTPS',
    });
    const [after] = await fileStates([kp.files.pem]);
    assert.deepEqual(after, mounted, 'same bytes, same inode');
    assert.equal((await stat(kp.files.pem)).mode & 0o777, 0o640, 'mode untouched');
    assert.equal((await get(kp.ports.https, `app1.${DOMAIN}`, { ca: operator.cert })).certFingerprint, operator.fingerprint256);
    assert.equal(await kp.stop(), 0, kp.daemon.dump(-10));
  });
});
