/**
 * The default `fetch` of the HTTP backends (etcd v2, the etcd v3 JSON gateway, Rancher metadata):
 * the part of WHATWG fetch they use (method, headers, a string body, an AbortSignal → status,
 * `headers.get`, `text()`, `json()`) over `node:http`/`node:https`. Node's own fetch loads undici
 * and compiles its WebAssembly HTTP parser on first use, which costs a one-shot render more time
 * than the render itself. Failures look like fetch's: a `TypeError('fetch failed')` with the
 * socket error as `cause`; an abort rejects with the signal's reason. It resolves once the headers
 * are in and `text()` waits for the body, like fetch. Idle keep-alive sockets are
 * unreferenced by Node's agent, so they never hold the process open.
 */
import type { IncomingMessage, RequestOptions } from 'node:http';

type Fetch = typeof globalThis.fetch;

interface LightResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly statusText: string;
  readonly url: string;
  readonly headers: { get(name: string): string | null; has(name: string): boolean };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

function headerList(init: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!init) return out;
  if (Array.isArray(init)) for (const [k, v] of init) out[k.toLowerCase()] = v;
  else if (typeof (init as Headers).forEach === 'function') (init as Headers).forEach((v, k) => (out[k.toLowerCase()] = v));
  else for (const [k, v] of Object.entries(init as Record<string, string>)) out[k.toLowerCase()] = v;
  return out;
}

function bodyOf(body: RequestInit['body']): string | Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('node-fetch: only string, URLSearchParams and byte bodies are supported');
}

function respond(url: string, res: IncomingMessage, body: Promise<string>): LightResponse {
  const status = res.statusCode ?? 0;
  const get = (name: string): string | null => {
    const v = res.headers[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  };
  return {
    status,
    ok: status >= 200 && status < 300,
    statusText: res.statusMessage ?? '',
    url,
    headers: { get, has: (n) => get(n) !== null },
    text: () => body,
    json: async () => JSON.parse(await body) as unknown,
  };
}

/** fetch over node:http(s); the whole body is read before the promise resolves. */
export const nodeFetch: Fetch = async (input, init = {}) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const signal = init.signal ?? undefined;
  if (signal?.aborted) throw signal.reason;
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') throw new TypeError(`fetch failed: unsupported protocol ${target.protocol}`);
  const mod = secure ? await import('node:https') : await import('node:http');
  const body = bodyOf(init.body);
  const headers = headerList(init.headers);
  if (body !== undefined && !('content-type' in headers) && init.body instanceof URLSearchParams) {
    headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
  }
  if (target.username && !('authorization' in headers)) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`;
  }
  const opts: RequestOptions = { method: init.method ?? 'GET', headers, signal };
  return new Promise<Response>((resolve, reject) => {
    const failure = (e: unknown) => (signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: e }));
    const req = mod.request(target, opts, (res) => {
      // resolves once the headers are in (a long-poll is armed then); text() waits for the body
      const body = new Promise<string>((done, failed) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => failed(failure(e)));
        res.on('aborted', () => failed(failure(new Error('the response was cut off'))));
        res.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
      });
      body.catch(() => undefined); // a body nobody reads may fail unobserved
      resolve(respond(url, res, body) as unknown as Response);
    });
    req.on('error', (e) => reject(failure(e)));
    req.end(body);
  });
};
