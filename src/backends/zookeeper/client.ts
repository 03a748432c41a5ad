/**
 * One ZooKeeper session (`node-zookeeper-client`, pure JS, loaded on first use) with the calls the
 * backend needs as promises: every call is bounded by `request_timeout` and the caller's signal,
 * and its failure is a `BackendError` naming the znode. A vanished znode is `undefined`, not an
 * error (it was deleted between listing and reading).
 */
import type { Client, Event, Stat } from 'node-zookeeper-client';
import { BackendError, errorMessage } from '../../errors.ts';
import { connectionString, type ZooKeeperOptions } from './options.ts';

export type Watcher = (e: Event) => void;
export type SessionState = 'connected' | 'disconnected' | 'expired' | 'auth_failed';

export interface NodeData {
  readonly data: string;
  readonly numChildren: number;
}

type Zk = typeof import('node-zookeeper-client');

export class ZkSession {
  #state: SessionState = 'disconnected';
  #closed = false;
  #stopGuard: () => void = () => {};

  private constructor(
    readonly backend: string,
    private readonly zk: Zk,
    private readonly client: Client,
    private readonly timeoutMs: number,
  ) {}

  /** Connect and wait for the session (at most `request_timeout`); `onState` sees every later change. */
  static async open(backend: string, o: ZooKeeperOptions, onState: (s: SessionState) => void = () => {}, signal?: AbortSignal): Promise<ZkSession> {
    const mod = await import('node-zookeeper-client');
    const zk = ((mod as { default?: Zk }).default ?? mod) as Zk;
    const client = zk.createClient(connectionString(o), { sessionTimeout: o.sessionTimeoutMs, spinDelay: 200, retries: 0 });
    if (o.username !== undefined) client.addAuthInfo('digest', Buffer.from(`${o.username}:${o.password ?? ''}`));
    const session = new ZkSession(backend, zk, client, o.requestTimeoutMs);
    session.#stopGuard = guardHandshake(client);
    const states: Record<string, SessionState> = {
      SYNC_CONNECTED: 'connected',
      CONNECTED_READ_ONLY: 'connected',
      DISCONNECTED: 'disconnected',
      EXPIRED: 'expired',
      AUTH_FAILED: 'auth_failed',
    };
    const first = new Promise<SessionState>((resolve) => {
      client.on('state', (s) => {
        const state = states[s.name];
        if (state === undefined || session.#closed) return;
        session.#state = state;
        resolve(state);
        onState(state);
      });
    });
    client.connect();
    const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, o.requestTimeoutMs, 'timeout').unref());
    const aborted = new Promise<'aborted'>((resolve) => {
      if (signal?.aborted) resolve('aborted');
      signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    const got = await Promise.race([first, timer, aborted]);
    if (got === 'connected') return session;
    session.close();
    const where = o.nodes.join(', ');
    if (got === 'auth_failed') throw new BackendError(backend, `zookeeper: digest authentication failed at ${where} (check username and password)`, { retryable: false });
    if (got === 'aborted') throw new BackendError(backend, 'zookeeper: connecting was aborted', { retryable: false });
    throw new BackendError(backend, `zookeeper: cannot connect to ${where} within ${o.requestTimeoutMs} ms (${got})`);
  }

  get state(): SessionState {
    return this.#closed ? 'expired' : this.#state;
  }

  /** The znode's data (UTF-8) and child count; `undefined` when it does not exist. */
  getData(path: string, watcher?: Watcher): Promise<NodeData | undefined> {
    return this.#call(path, 'read', (cb: (e: unknown, data: Buffer | undefined, stat: Stat) => void) =>
      watcher ? this.client.getData(path, watcher, cb) : this.client.getData(path, cb),
    ).then((r) => (r === undefined ? undefined : { data: r[0]?.toString('utf8') ?? '', numChildren: r[1].numChildren }));
  }

  /** The znode's child names; `undefined` when it does not exist. */
  getChildren(path: string, watcher?: Watcher): Promise<string[] | undefined> {
    return this.#call(path, 'list', (cb: (e: unknown, children: string[], stat: Stat) => void) =>
      watcher ? this.client.getChildren(path, watcher, cb) : this.client.getChildren(path, cb),
    ).then((r) => r?.[0]);
  }

  /** Whether the znode exists, leaving `watcher` armed for its creation or deletion. */
  exists(path: string, watcher: Watcher): Promise<boolean> {
    return this.#call(path, 'check', (cb: (e: unknown, stat: Stat) => void) => this.client.exists(path, watcher, cb)).then((r) => r?.[0] != null);
  }

  /** The session's id and password (what a reconnect presents). */
  credentials(): { readonly id: Buffer; readonly password: Buffer } {
    return { id: this.client.getSessionId(), password: this.client.getSessionPassword() };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopGuard();
    this.client.close();
  }

  /** Run one callback-style call; NO_NODE resolves `undefined`. */
  #call<A extends unknown[]>(path: string, what: string, run: (cb: (e: unknown, ...rest: A) => void) => void): Promise<A | undefined> {
    if (this.#closed) return Promise.reject(new BackendError(this.backend, 'zookeeper: the session is closed'));
    return new Promise<A | undefined>((resolve, reject) => {
      const timer = setTimeout(() => reject(new BackendError(this.backend, `zookeeper: ${what} ${path} timed out after ${this.timeoutMs} ms (${this.#state})`)), this.timeoutMs);
      run((e, ...rest) => {
        clearTimeout(timer);
        if (e == null) return resolve(rest);
        const code = (e as { code?: number }).code;
        if (code === this.zk.Exception.NO_NODE) return resolve(undefined);
        const hint = code === this.zk.Exception.NO_AUTH ? ' (the znode\'s ACL refuses this client: set username and password for digest authentication)' : '';
        reject(new BackendError(this.backend, `zookeeper: ${what} ${path}: ${errorMessage(e)}${hint}`, { cause: e }));
      });
    });
  }
}

/** `/a/b` + `c` → `/a/b/c`; `/` + `c` → `/c`. */
export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** The client's connection states (its ConnectionManager's, not exported by the package). */
const CONNECTING = 1;
const HANDSHAKE_MS = 2_000;

/**
 * node-zookeeper-client has no timeout on the session handshake: a server that accepts the TCP
 * connection and never answers the ConnectRequest (a ZooKeeper still starting up does this) leaves
 * the client CONNECTING forever. While the client is connecting, drop a socket that has not
 * finished its handshake within HANDSHAKE_MS; the client then tries the next server as after any
 * lost connection. Returns the function that stops the guard.
 */
export function guardHandshake(client: Client): () => void {
  const manager = (client as unknown as { connectionManager?: { state?: number; socket?: { destroy(): void } } }).connectionManager;
  if (manager === undefined) return () => {};
  let socket: unknown;
  let since = 0;
  const timer = setInterval(() => {
    if (manager.state !== CONNECTING || manager.socket === undefined) {
      socket = undefined;
      return;
    }
    if (manager.socket !== socket) {
      socket = manager.socket;
      since = Date.now();
    } else if (Date.now() - since >= HANDSHAKE_MS) {
      socket = undefined;
      manager.socket.destroy();
    }
  }, HANDSHAKE_MS / 4);
  timer.unref();
  return () => clearInterval(timer);
}
