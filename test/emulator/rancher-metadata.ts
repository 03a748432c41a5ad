/**
 * A Rancher 1.x metadata service emulator (rancher-haproxy.md §2) on node:http, 127.0.0.1, port 0.
 * Serves `2015-07-25`, `2015-12-19`, `2016-07-29` and `latest` from a mutable World (or a static
 * answers file), with per-caller `self`, content negotiation, the exact text/JSON formats and error
 * bodies, the `?wait=true&value=&maxWait=` long poll (switchable off, like a pre-2016-11 server),
 * and failures on demand. Every mutation bumps `/version` and wakes long polls.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { goSprint, negotiate, renderError, renderValue, walk, type Offer, type Rendered } from './format.ts';
import { answersFileSource, worldSource, type AnswersFile, type AnswerSource, type Tree } from './sources.ts';
import { WorldEditor } from './world-editor.ts';
import type { World } from './world.ts';

/** `refuse`: stop listening (ECONNREFUSED); `reset`: destroy the socket on request; `status-500`:
 *  500 `Internal Server Error`; `hang`: never answer; `empty-containers`: `containers` lists are
 *  `[]`; `truncate`: a 200 whose body is cut in half. */
export type FailureMode = 'refuse' | 'reset' | 'status-500' | 'hang' | 'empty-containers' | 'truncate';

export interface FailOptions {
  /** Only requests whose path (e.g. `/2015-12-19/containers`) matches. Ignored by `refuse`. */
  readonly match?: RegExp;
  /** Fail only this many matching requests, then recover on its own. Ignored by `refuse`. */
  readonly times?: number;
}

export interface RancherMetadataOptions {
  /** The environment to serve; ignored when `answers` is given. */
  readonly world?: World;
  /** Serve a static answers file instead of a World (mutations then go through `setAnswers`). */
  readonly answers?: AnswersFile;
  /** Honour `?wait=true&value=` (default true). false = a server from before long polling existed. */
  readonly longPoll?: boolean;
  /** Take the caller IP from `X-Forwarded-For` (rancher-metadata `--xff`). */
  readonly xff?: boolean;
  /** Listen port on 127.0.0.1 (default 0 = any free port; tests always use 0). */
  readonly port?: number;
}

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly accept?: string;
  readonly caller: string;
}

/** Test override of the caller IP (beats the socket address and X-Forwarded-For). */
export const CALLER_HEADER = 'x-emulator-caller';

interface Waiter {
  readonly res: ServerResponse;
  readonly version: string;
  readonly caller: string;
  readonly segments: readonly string[];
  readonly offer: Offer;
  readonly value: string;
  readonly timer: NodeJS.Timeout;
}

interface Failure {
  readonly mode: FailureMode;
  readonly match?: RegExp;
  remaining: number;
}

export class RancherMetadataEmulator extends WorldEditor {
  readonly requests: RequestRecord[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #waiters = new Set<Waiter>();
  readonly #opts: RancherMetadataOptions;
  readonly #source: AnswerSource;
  #answers: AnswersFile | undefined;
  #longPoll: boolean;
  #counter = 0;
  #revision = '';
  #failure: Failure | undefined;
  #port = 0;
  #closed = false;

  private constructor(opts: RancherMetadataOptions) {
    super(opts.world ?? { environment_name: 'Default', environment_uuid: 'adminProject', hosts: [], stacks: [], services: [], containers: [], self: {} });
    this.#opts = opts;
    this.#answers = opts.answers;
    this.#longPoll = opts.longPoll ?? true;
    this.#source = opts.answers ? answersFileSource(() => this.#answers!) : worldSource(() => this.worldRef());
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    this.bump();
  }

  static async start(opts: RancherMetadataOptions = {}): Promise<RancherMetadataEmulator> {
    const emu = new RancherMetadataEmulator(opts);
    await emu.#listen(opts.port ?? 0);
    return emu;
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }
  /** `127.0.0.1:<port>` (the form RANCHER_API_HOST takes). */
  get host(): string {
    return `127.0.0.1:${this.#port}`;
  }
  get port(): number {
    return this.#port;
  }
  /** The current `/version` value. */
  get version(): string {
    return this.#revision;
  }
  get pendingLongPolls(): number {
    return this.#waiters.size;
  }

  /** New version, as on every answers reload; wakes long polls. Mutations call it for you. */
  override bump(): void {
    this.#counter += 1;
    this.#revision = `${this.#counter}-${randomBytes(8).toString('hex')}`;
    for (const w of [...this.#waiters]) this.#wake(w, false);
  }

  /** Replace the static answers (answers-file mode). */
  setAnswers(answers: AnswersFile): void {
    if (!this.#answers) throw new Error('setAnswers: this emulator serves a World, use its mutators');
    this.#answers = answers;
    this.bump();
  }

  setLongPoll(enabled: boolean): void {
    this.#longPoll = enabled;
  }

  async fail(mode: FailureMode, opts: FailOptions = {}): Promise<void> {
    await this.recover();
    this.#failure = { mode, match: opts.match, remaining: opts.times ?? Infinity };
    if (mode === 'refuse') await this.#unlisten();
  }

  /** End the failure; after `refuse` listen again on the same port. */
  async recover(): Promise<void> {
    const was = this.#failure;
    this.#failure = undefined;
    if (was?.mode === 'refuse' && !this.#closed) await this.#listen(this.#port);
  }

  /** Stop listening and end every socket and pending long poll. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#failure = undefined;
    await this.#unlisten();
  }

  #listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        const addr = this.#server.address();
        if (addr && typeof addr === 'object') this.#port = addr.port;
        resolve();
      });
    });
  }

  #unlisten(): Promise<void> {
    for (const w of this.#waiters) clearTimeout(w.timer);
    this.#waiters.clear();
    if (!this.#server.listening) {
      for (const s of this.#sockets) s.destroy();
      return Promise.resolve();
    }
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    return closed;
  }

  #caller(req: IncomingMessage): string {
    const override = req.headers[CALLER_HEADER];
    if (typeof override === 'string' && override !== '') return override;
    const xff = req.headers['x-forwarded-for'];
    if (this.#opts.xff && typeof xff === 'string' && xff !== '') return xff.split(',')[0].trim();
    return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  }

  #takeFailure(path: string): FailureMode | undefined {
    const f = this.#failure;
    if (!f || f.mode === 'refuse' || (f.match && !f.match.test(path))) return undefined;
    f.remaining -= 1;
    if (f.remaining <= 0) this.#failure = undefined;
    return f.mode;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://metadata');
    const caller = this.#caller(req);
    const accept = req.headers.accept;
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), accept, caller });
    const offer = negotiate(accept);
    const failure = this.#takeFailure(url.pathname);
    if (failure === 'hang') return;
    if (failure === 'reset') return void req.socket.destroy();
    if (failure === 'status-500') return send(res, req, renderError(500, 'Internal Server Error', offer));
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, req, renderError(405, 'Method Not Allowed', offer));
    const segments = splitPath(url.pathname);
    if (segments === undefined) return send(res, req, renderError(400, 'Bad Request', offer));
    const truncate = failure === 'truncate';
    if (segments.length === 0) return send(res, req, renderValue(this.#root(caller), offer), truncate);
    if (segments[0] === 'favicon.ico') return send(res, req, renderError(404, 'Not found', offer));
    const [version, ...rest] = segments;
    if (this.#tree(version, caller, failure) === undefined) return send(res, req, renderError(404, 'Invalid version', offer));
    const value = url.searchParams.get('value');
    if (this.#longPoll && url.searchParams.get('wait') === 'true' && value !== null) {
      return this.#longPollRequest(req, res, { version, caller, segments: rest, offer, value }, url.searchParams.get('maxWait'));
    }
    send(res, req, this.#answer(version, caller, rest, offer, failure), truncate);
  }

  #tree(version: string, caller: string, failure?: FailureMode): Tree | undefined {
    const tree = this.#source.tree(version, caller, this.#revision);
    if (tree && failure === 'empty-containers' && Array.isArray(tree.containers)) tree.containers = [];
    return tree;
  }

  #root(caller: string): Tree {
    return Object.fromEntries(this.#source.versions().map((v) => [v, this.#tree(v, caller) ?? {}]));
  }

  #answer(version: string, caller: string, segments: readonly string[], offer: Offer, failure?: FailureMode): Rendered {
    const hit = walk(this.#tree(version, caller, failure), segments);
    return hit.found ? renderValue(hit.value, offer) : renderError(404, 'Not found', offer);
  }

  #longPollRequest(
    req: IncomingMessage,
    res: ServerResponse,
    w: Omit<Waiter, 'res' | 'timer'>,
    maxWaitParam: string | null,
  ): void {
    const hit = walk(this.#tree(w.version, w.caller), w.segments);
    if (hit.found && goSprint(hit.value) !== w.value) return send(res, req, renderValue(hit.value, w.offer));
    const parsed = Number.parseInt(maxWaitParam ?? '', 10);
    const maxWait = Math.min(Number.isFinite(parsed) && parsed > 0 ? parsed : 60, 120);
    const waiter: Waiter = { ...w, res, timer: setTimeout(() => this.#wake(waiter, true), maxWait * 1000) };
    this.#waiters.add(waiter);
    res.on('close', () => {
      clearTimeout(waiter.timer);
      this.#waiters.delete(waiter);
    });
  }

  /** Re-check a waiter: answer when its value changed, or (on timeout) with whatever is current. */
  #wake(w: Waiter, timedOut: boolean): void {
    const hit = walk(this.#tree(w.version, w.caller), w.segments);
    const changed = hit.found && goSprint(hit.value) !== w.value;
    if (!changed && !timedOut) return;
    clearTimeout(w.timer);
    this.#waiters.delete(w);
    send(w.res, undefined, hit.found ? renderValue(hit.value, w.offer) : renderError(404, 'Not found', w.offer));
  }
}

/** Split and unescape a path; `undefined` on bad escaping. Empty segments (trailing `/`) are ignored. */
function splitPath(pathname: string): string[] | undefined {
  try {
    return pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, req: IncomingMessage | undefined, r: Rendered, truncate = false): void {
  if (res.writableEnded || res.destroyed) return;
  const body = truncate ? r.body.slice(0, Math.floor(r.body.length / 2)) : r.body;
  res.writeHead(r.status, { ...r.headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(req?.method === 'HEAD' ? undefined : body);
}

export async function startRancherMetadata(opts: RancherMetadataOptions = {}): Promise<RancherMetadataEmulator> {
  return RancherMetadataEmulator.start(opts);
}
