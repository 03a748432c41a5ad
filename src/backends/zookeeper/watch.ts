/**
 * The zookeeper watch, on a session of its own. ZooKeeper watches are one-shot and carry no data,
 * so the watch keeps a mirror of the watched znodes (mirror.ts), arms a data and a child watch on
 * every one of them, and on each event re-reads that znode, which re-arms its watches in the same
 * request: a change between the event and the re-arm is in what the re-read returns, so none is
 * lost. The difference from the mirror is sent as deltas. A burst on one znode may skip values in
 * between (ZooKeeper sends one event until the watch is re-armed), never the last one.
 *
 * Connection loss: the client reconnects and re-registers its watches (the server fires those whose
 * znodes changed meanwhile); the watch re-reads the whole mirror anyway and sends the difference.
 * Session expiry (watches gone): a new session, then the same full re-read and diff.
 */
import type { Logger } from 'pino';
import type { Event } from 'node-zookeeper-client';
import { BackendError, errorMessage } from '../../errors.ts';
import { abortableSleep, backoff, DEFAULT_RETRY } from '../../schedule/schedule.ts';
import type { KeyPath } from '../../tree/keys.ts';
import type { Revision, Unwatch, WatchEvent } from '../contract.ts';
import { contentRevision } from '../revision.ts';
import { childPath, type SessionState, type Watcher, type ZkSession } from './client.ts';
import { copySubtree, diffKeys, dropSubtree, keysUnder, type Mirror } from './mirror.ts';
import { RESERVED } from './options.ts';
import { outermost } from './read.ts';

export interface ZkWatchDeps {
  readonly name: string;
  readonly logger: Logger;
  open(onState: (s: SessionState) => void, signal: AbortSignal): Promise<ZkSession>;
}

export async function watchZooKeeper(deps: ZkWatchDeps, prefixes: readonly KeyPath[], onEvent: (e: WatchEvent) => void, since: Revision | undefined, signal?: AbortSignal): Promise<Unwatch> {
  const stop = new AbortController();
  const done = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const watch = new ZkWatch(deps, outermost(prefixes), onEvent, done);
  try {
    await watch.start(); // the first attempt's failure is the caller's (it retries with backoff)
  } catch (e) {
    stop.abort();
    watch.close();
    throw e;
  }
  if (since !== undefined && watch.revision() !== since) watch.emit({ type: 'change' });
  const closing = new Promise<void>((resolve) => {
    const end = () => {
      watch.close();
      resolve();
    };
    if (done.aborted) end();
    else done.addEventListener('abort', end, { once: true });
  });
  return async () => {
    stop.abort();
    await closing;
    await watch.idle();
  };
}

class ZkWatch {
  #session?: ZkSession;
  #watcher?: Watcher;
  #mirror: Mirror = new Map();
  readonly #pending = new Set<string>();
  /** A full re-read is due (after a reconnect, a new session or a failed re-read). */
  #full = false;
  #down = false;
  #draining?: Promise<void>;
  #reopening?: Promise<void>;
  /** The first full read is done: events that came during it are re-read after it, not before. */
  #started = false;

  constructor(
    readonly deps: ZkWatchDeps,
    readonly roots: readonly KeyPath[],
    readonly onEvent: (e: WatchEvent) => void,
    readonly signal: AbortSignal,
  ) {}

  emit(e: WatchEvent): void {
    if (this.signal.aborted) return;
    try {
      this.onEvent(e);
    } catch (err) {
      this.deps.logger.error({ err: errorMessage(err) }, 'zookeeper watch: event handler threw');
    }
  }

  revision(): Revision {
    const all = new Map<KeyPath, string>();
    for (const r of this.roots) keysUnder(this.#mirror, r, all);
    return contentRevision(all);
  }

  async start(): Promise<void> {
    await this.#openSession();
    this.#mirror = await this.#loadAll();
    this.#started = true;
    if (this.#pending.size > 0 || this.#full) this.#kick();
  }

  close(): void {
    this.#session?.close();
  }

  async idle(): Promise<void> {
    await this.#reopening;
    await this.#draining;
  }

  async #openSession(): Promise<void> {
    let session: ZkSession | undefined;
    const onState = (s: SessionState) => {
      if (session !== undefined && session === this.#session) this.#stateChanged(s);
    };
    session = await this.deps.open(onState, this.signal);
    if (this.signal.aborted) {
      session.close(); // stopped while it connected: nobody would close it
      throw new BackendError(this.deps.name, 'zookeeper watch: stopped', { retryable: false });
    }
    const watcher: Watcher = (e: Event) => {
      if (this.#session === session) this.#fired(e.getPath());
    };
    this.#session?.close();
    this.#session = session;
    this.#watcher = watcher;
    this.#down = false;
  }

  #stateChanged(s: SessionState): void {
    if (this.signal.aborted) return;
    if (s === 'disconnected') {
      this.#down = true;
      this.emit({ type: 'error', error: new BackendError(this.deps.name, 'zookeeper watch: disconnected from the server; reconnecting'), willRetry: true });
    } else if (s === 'connected') {
      if (!this.#down) return;
      this.#down = false;
      this.#full = true;
      this.#kick();
    } else if (s === 'expired') {
      this.#down = true;
      this.emit({ type: 'error', error: new BackendError(this.deps.name, 'zookeeper watch: the session expired (its watches are gone); opening a new one and re-reading'), willRetry: true });
      this.#reopening ??= this.#reopen().finally(() => (this.#reopening = undefined));
    } else if (s === 'auth_failed') {
      this.emit({ type: 'error', error: new BackendError(this.deps.name, 'zookeeper watch: digest authentication failed (check username and password)', { retryable: false }), willRetry: false });
    }
  }

  /** A new session with backoff until it connects, then a full re-read. */
  async #reopen(): Promise<void> {
    this.#session?.close();
    for (let attempt = 0; !this.signal.aborted; attempt++) {
      try {
        await this.#openSession();
        this.#full = true;
        this.#kick();
        return;
      } catch (e) {
        this.emit({ type: 'error', error: e instanceof BackendError ? e : new BackendError(this.deps.name, errorMessage(e), { cause: e }), willRetry: true });
        await abortableSleep(backoff(DEFAULT_RETRY, attempt) ?? DEFAULT_RETRY.maxMs, this.signal).catch(() => {});
      }
    }
  }

  #fired(path: string): void {
    if (this.signal.aborted) return;
    this.#pending.add(path);
    this.#kick();
  }

  #kick(): void {
    if (!this.#started) return;
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
      if (!this.signal.aborted && !this.#down && (this.#full || this.#pending.size > 0)) this.#kick();
    });
  }

  /** Re-read what changed, one znode at a time in event order; a full re-read first when one is due. */
  async #drain(): Promise<void> {
    for (let failures = 0; !this.signal.aborted && !this.#down && (this.#full || this.#pending.size > 0); ) {
      try {
        if (this.#full) {
          this.#full = false;
          this.#pending.clear();
          const next = await this.#loadAll();
          this.#send(this.roots, this.#mirror, next);
          this.#mirror = next;
          this.emit({ type: 'connected' });
        } else {
          const path = this.#pending.values().next().value!;
          this.#pending.delete(path);
          await this.#sync(path);
        }
        failures = 0;
      } catch (e) {
        this.#full = true;
        this.deps.logger.debug({ err: errorMessage(e) }, 'zookeeper watch: a re-read failed; re-reading everything');
        if (this.#down) return; // the reconnect starts the drain again
        await abortableSleep(backoff(DEFAULT_RETRY, failures++) ?? DEFAULT_RETRY.maxMs, this.signal).catch(() => {});
      }
    }
  }

  /** Re-read one znode (and any new children) into the mirror; send the key changes. */
  async #sync(path: string): Promise<void> {
    const isRoot = this.roots.includes(path as KeyPath);
    if (!this.#mirror.has(path) && !isRoot) return; // no longer below a watched znode: its parent's event covers it
    const fresh: Mirror = new Map();
    await this.#load(path, fresh, this.#mirror, isRoot);
    const next = new Map(this.#mirror);
    dropSubtree(next, path);
    for (const [p, n] of fresh) next.set(p, n);
    this.#send([path], this.#mirror, next);
    this.#mirror = next;
  }

  #send(paths: readonly string[], before: Mirror, after: Mirror): void {
    const was = new Map<KeyPath, string>();
    const now = new Map<KeyPath, string>();
    for (const p of paths) {
      keysUnder(before, p, was);
      keysUnder(after, p, now);
    }
    const changes = diffKeys(was, now);
    if (changes.length > 0) this.emit({ type: 'change', changes });
  }

  async #loadAll(): Promise<Mirror> {
    const m: Mirror = new Map();
    await Promise.all(this.roots.map((r) => this.#load(r, m, undefined, true)));
    return m;
  }

  /**
   * Read `path` with its data and child watches armed into `into`; new children are read too,
   * children already in `reuse` are copied from it (their own watches cover them). A missing root
   * gets an existence watch, so that its creation is seen.
   */
  async #load(path: string, into: Mirror, reuse: Mirror | undefined, isRoot: boolean): Promise<void> {
    const session = this.#session!;
    const watcher = this.#watcher!;
    const node = await session.getData(path, watcher);
    const children = node === undefined ? undefined : await session.getChildren(path, watcher);
    if (node === undefined || children === undefined) {
      if (isRoot && (await session.exists(path, watcher))) this.#fired(path); // created meanwhile
      return;
    }
    const names = new Set(children.filter((c) => childPath(path, c) !== RESERVED));
    into.set(path, { data: node.data, children: names });
    const old = reuse?.get(path)?.children;
    await Promise.all(
      [...names].map((c) => {
        const p = childPath(path, c);
        if (old?.has(c) && reuse?.has(p)) {
          copySubtree(reuse!, p, into);
          return undefined;
        }
        return this.#load(p, into, undefined, false);
      }),
    );
  }
}
