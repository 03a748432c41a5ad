/**
 * Network fixtures for the rancher-haproxy end-to-end tests: HTTP backends that answer their own
 * name, a backend that speaks the PROXY protocol (v1 line, then HTTP), requests through HAProxy
 * with a Host header (HTTP and HTTPS), and a self-signed certificate made with Debian's openssl.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { access, constants, readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { startBackend, type TestBackend } from '../haproxy/harness.ts';

export { startBackend, type TestBackend };

type After = Pick<TestContext, 'after'>;

export interface ProxyBackend extends TestBackend {
  /** Every PROXY header line received (without CRLF). */
  readonly proxyLines: string[];
  /** Connections that did not start with a PROXY v1 line (answered 400). */
  rejected: number;
}

const PROXY_V1 = /^PROXY (TCP4|TCP6) (\S+) (\S+) (\d+) (\d+)$|^PROXY UNKNOWN( .*)?$/;

/**
 * A tiny TCP server that requires a PROXY protocol v1 line before HTTP (what HAProxy's
 * `send-proxy` writes), then answers one HTTP request per connection with `<name> via <src ip>`.
 * A connection without the PROXY line gets a 400, so a missing `send-proxy` cannot go unnoticed.
 */
export async function startProxyProtocolBackend(t: After, name: string): Promise<ProxyBackend> {
  const b = { name, port: 0, hits: 0, proxyLines: [] as string[], rejected: 0 };
  const sockets = new Set<Socket>();
  const server = createNetServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = '';
    let proxy: string | undefined;
    sock.setEncoding('latin1');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (proxy === undefined) {
        const eol = buf.indexOf('\r\n');
        if (eol < 0 && buf.length <= 107) return;
        const line = eol < 0 ? buf : buf.slice(0, eol);
        if (!PROXY_V1.test(line)) {
          b.rejected++;
          sock.end(reply(400, 'no PROXY protocol header line'));
          return;
        }
        proxy = line;
        b.proxyLines.push(line);
        buf = buf.slice(eol + 2);
      }
      if (!buf.includes('\r\n\r\n')) return; // GET without a body: the headers end the request
      b.hits++;
      sock.end(reply(200, `${name} via ${proxy.split(' ')[2] ?? '?'}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  b.port = typeof addr === 'object' && addr ? addr.port : 0;
  t.after(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  }));
  return b;
}

function reply(status: number, body: string): string {
  const text = status === 200 ? 'OK' : 'Bad Request';
  return `HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
  /** SHA-256 fingerprint of the server certificate (HTTPS only). */
  readonly certFingerprint?: string;
}

export interface GetOptions {
  readonly path?: string;
  /** `user:password` for basic auth. */
  readonly auth?: string;
  /** Make an HTTPS request, verifying the server certificate against this CA. */
  readonly ca?: string;
}

/** One GET to 127.0.0.1:`port` with `Host: host`, on a fresh connection. */
export function get(port: number, host: string, opts: GetOptions = {}): Promise<Reply> {
  const servername = host.replace(/:\d+$/, '');
  const base = { host: '127.0.0.1', port, path: opts.path ?? '/', headers: { host }, agent: false as const, timeout: 10_000, auth: opts.auth };
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage) => {
      let body = '';
      const cert = opts.ca !== undefined ? (res.socket as TLSSocket).getPeerCertificate().fingerprint256 : undefined;
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, certFingerprint: cert }));
      res.on('error', reject);
    };
    const req = opts.ca !== undefined ? httpsRequest({ ...base, ca: opts.ca, servername }, onResponse) : httpRequest(base, onResponse);
    req.on('timeout', () => req.destroy(new Error(`GET ${host} on port ${port} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** `n` requests in a row; the bodies in order. */
export async function bodies(port: number, host: string, n: number, opts: GetOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await get(port, host, opts);
    out.push(`${r.status} ${r.body}`);
  }
  return out;
}

export interface Cert {
  readonly cert: string;
  readonly key: string;
  /** `cert` + `key`, what an operator would mount as server.pem. */
  readonly pem: string;
  readonly fingerprint256: string;
}

/** A self-signed RSA certificate for `*.<domain>` made with Debian's openssl. */
export async function makeCert(dir: string, domain: string, label = 'cert'): Promise<Cert> {
  try {
    await access('/usr/bin/openssl', constants.X_OK);
  } catch {
    throw new Error('/usr/bin/openssl not found: install the Debian package "openssl" (apt-get install openssl)');
  }
  const certFile = join(dir, `${label}.crt`);
  const keyFile = join(dir, `${label}.key`);
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=*.${domain}`, '-days', '1',
    '-addext', `subjectAltName=DNS:*.${domain},DNS:${domain}`, '-keyout', keyFile, '-out', certFile];
  await new Promise<void>((resolve, reject) => {
    execFile('/usr/bin/openssl', args, (err, _out, stderr) => (err ? reject(new Error(`openssl req failed: ${stderr}`)) : resolve()));
  });
  const cert = await readFile(certFile, 'utf8');
  const key = await readFile(keyFile, 'utf8');
  return { cert, key, pem: `${cert}${key}`, fingerprint256: new X509Certificate(cert).fingerprint256 };
}
