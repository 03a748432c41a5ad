/**
 * The HTTP status listener: `GET /` (the status page), `GET /status` (its JSON document),
 * `GET /healthz` (200/503 JSON verdict) and `GET /metrics` (Prometheus text). `/` and `/status`
 * can require basic auth; `/healthz` and `/metrics` stay open for probes and scrapers. Plain
 * node:http, no state beyond the server; closes on abort, dropping idle keep-alive sockets so
 * shutdown never waits on a scraper's open connection.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { AppError, ExitCode, UsageError, errorMessage } from '../errors.ts';
import { maskText } from '../secrets/mask.ts';
import type { StatusDocument } from './document.ts';
import type { HealthReport } from './health.ts';
import { STATUS_PAGE_HTML } from './page.ts';

export interface ListenAddress {
  /** Undefined: every interface. */
  readonly host?: string;
  readonly port: number;
}

export interface StatusServerOptions {
  /** `"127.0.0.1:9100"`, `"[::1]:9100"`, `":9100"` (every interface) or `"9100"`; port 0 picks a free port. */
  readonly listen: string;
  readonly health: () => HealthReport;
  readonly metrics: () => Promise<string>;
  /** Content-Type of the metrics text (KeyplateMetrics.contentType). */
  readonly contentType: string;
  /** The `/status` document (and with it the page at `/`); absent: both answer 404. */
  readonly status?: (signal?: AbortSignal) => Promise<StatusDocument>;
  /** Basic auth for `/` and `/status`. */
  readonly auth?: { readonly username: string; readonly password: string };
  readonly logger: Logger;
  /** Aborting it closes the listener. */
  readonly signal?: AbortSignal;
}

export interface StatusServer {
  /** Base URL, e.g. `http://127.0.0.1:9100` (loopback when listening on every interface). */
  readonly url: string;
  readonly address: ListenAddress;
  /** Stop listening and drop open connections; idempotent. */
  close(): Promise<void>;
}

/** Parse a `listen` value; throws UsageError naming the bad value. */
export function parseListen(listen: string): ListenAddress {
  const s = listen.trim();
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):)?(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`listen: expected [host]:port, :port or port (e.g. "127.0.0.1:9100"), got ${JSON.stringify(listen)}`);
  }
  const host = m[1] ?? m[2];
  return host ? { host, port } : { port };
}

function urlOf(addr: AddressInfo): string {
  const unspecified = addr.address === '::' || addr.address === '0.0.0.0';
  const host = unspecified ? '127.0.0.1' : addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `http://${host}:${addr.port}`;
}

function send(res: ServerResponse, status: number, type: string, unmasked: string, head: boolean, extra: Record<string, string> = {}): void {
  const body = maskText(unmasked); // /healthz and /metrics show no credential (secrets/mask.ts)
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...extra });
  res.end(head ? undefined : body);
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time check of an `Authorization: Basic …` header. */
export function basicAuthOk(header: string | undefined, auth: { readonly username: string; readonly password: string }): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  const given = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
  return timingSafeEqual(digest(given), digest(`${auth.username}:${auth.password}`)) && m !== null;
}

const ROUTES = new Set(['/', '/status', '/healthz', '/metrics']);

async function handle(opts: StatusServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://status.invalid').pathname;
  const head = req.method === 'HEAD';
  const known = ROUTES.has(path) && (opts.status !== undefined || (path !== '/' && path !== '/status'));
  if (!known) {
    send(res, 404, 'text/plain; charset=utf-8', `not found: try ${opts.status ? '/, /status, ' : ''}/healthz or /metrics\n`, head);
    return;
  }
  if (req.method !== 'GET' && !head) {
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false, { Allow: 'GET, HEAD' });
    return;
  }
  if (path === '/healthz') {
    const report = opts.health();
    send(res, report.ok ? 200 : 503, 'application/json; charset=utf-8', `${JSON.stringify(report, null, 2)}\n`, head);
    return;
  }
  if (path === '/metrics') {
    send(res, 200, opts.contentType, await opts.metrics(), head);
    return;
  }
  if (opts.auth && !basicAuthOk(req.headers.authorization, opts.auth)) {
    send(res, 401, 'text/plain; charset=utf-8', 'authentication required\n', head, { 'WWW-Authenticate': 'Basic realm="keyplate", charset="UTF-8"' });
    return;
  }
  const secure = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
  if (path === '/') {
    const csp = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    send(res, 200, 'text/html; charset=utf-8', STATUS_PAGE_HTML, head, { ...secure, 'Content-Security-Policy': csp });
    return;
  }
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 5000);
  try {
    const doc = await opts.status!(ac.signal);
    send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify(doc, null, 2)}\n`, head, secure);
  } finally {
    clearTimeout(timer);
  }
}

/** Loopback or a Unix-less bind that only this host reaches. */
function isLoopback(host: string | undefined): boolean {
  if (host === undefined) return false;
  if (host === 'localhost') return true;
  return isIP(host) === 4 ? host.startsWith('127.') : host === '::1';
}

function onRequest(opts: StatusServerOptions, req: IncomingMessage, res: ServerResponse): void {
  handle(opts, req, res).catch((e: unknown) => {
    opts.logger.error({ path: req.url, err: errorMessage(e) }, 'status listener: request failed');
    if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n', false);
    else res.destroy();
  });
}

function listenOn(server: Server, addr: ListenAddress, listen: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      reject(new AppError('E_LISTEN', ExitCode.CONFIG, `status listener: cannot listen on ${listen}: ${e.message}`, { cause: e }));
    };
    server.once('error', onError);
    server.listen({ host: addr.host, port: addr.port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Start the listener; resolves once it accepts connections. */
export async function startStatusServer(opts: StatusServerOptions): Promise<StatusServer> {
  const addr = parseListen(opts.listen);
  opts.signal?.throwIfAborted();
  const server = createServer((req, res) => onRequest(opts, req, res));
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await listenOn(server, addr, opts.listen);
  server.on('error', (e) => opts.logger.error({ err: errorMessage(e) }, 'status listener error'));
  const bound = server.address() as AddressInfo;
  const url = urlOf(bound);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      opts.signal?.removeEventListener('abort', onAbort);
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  const onAbort = () => void close();
  if (opts.signal?.aborted) await close();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  opts.logger.info({ event: 'status-listening', url, ...(opts.status ? { page: `${url}/` } : {}), healthz: `${url}/healthz`, metrics: `${url}/metrics` }, 'status listener started');
  if (opts.status && !opts.auth && !isLoopback(addr.host)) {
    opts.logger.warn({ listen: opts.listen }, 'the status page is reachable beyond this host without authentication: set [http] username and password, or listen on 127.0.0.1');
  }
  return { url, address: { ...(addr.host ? { host: addr.host } : {}), port: bound.port }, close };
}
