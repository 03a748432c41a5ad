/**
 * The one contract every backend implements. A backend reads a consistent snapshot of some
 * prefixes together with the revision it was read at, and optionally watches those prefixes
 * from that revision on, losslessly, delivering deltas the runner applies to its tree.
 */
import type { Logger } from 'pino';
import type { BackendError } from '../errors.ts';
import type { At } from '../schema/document.ts';
import type { SectionSchema } from '../schema/types.ts';
import type { KeyPath } from '../tree/keys.ts';

/** Opaque, comparable only within one backend instance: an etcd v3 header revision, the etcd v2
 *  X-Etcd-Index, the Rancher /version value, the NATS KV stream sequence, a content hash for
 *  env/file/redis/zookeeper. */
export type Revision = string;

export interface Snapshot {
  /** Absolute keys (not prefix-stripped), already limited to the requested prefixes. */
  readonly values: ReadonlyMap<KeyPath, string>;
  /** The point in time the whole snapshot was read at. */
  readonly revision?: Revision;
}

/** One key change. `value === undefined` means the key was deleted. */
export interface KeyChange {
  readonly key: KeyPath;
  readonly value?: string;
  /** For an etcd v2 directory delete/expire: every key at or below `key` is gone. */
  readonly recursive?: boolean;
}

export type WatchEvent =
  /** Changes under the watched prefixes, applied in order. `revision` is the revision they bring
   *  the snapshot to. Without `changes` the consumer must re-read (`getValues`). */
  | { readonly type: 'change'; readonly revision?: Revision; readonly changes?: readonly KeyChange[] }
  /** History is gone (compaction, index cleared, reconnect past the window): re-read everything. */
  | { readonly type: 'resync'; readonly reason: string }
  /** A transient problem; `willRetry` says whether the watch keeps trying on its own. */
  | { readonly type: 'error'; readonly error: BackendError; readonly willRetry: boolean }
  /** The watch is (re)connected and current again after an error. */
  | { readonly type: 'connected' };

export type Unwatch = () => Promise<void>;

export interface WatchOptions {
  /** Resume strictly after this revision: nothing between the read and the watch is lost. */
  readonly since?: Revision;
  /** Aborting it stops the watch (same as calling the Unwatch). */
  readonly signal?: AbortSignal;
}

export type BackendKind = 'etcd' | 'rancher' | 'env' | 'file' | 'memory' | 'redis' | 'nats' | 'zookeeper';

export interface Backend {
  /** Instance name used in logs and errors. */
  readonly name: string;
  readonly kind: BackendKind;
  getValues(prefixes: readonly KeyPath[], opts?: { readonly signal?: AbortSignal }): Promise<Snapshot>;
  /** Optional capability. Absent: the runner polls this backend on its interval. */
  watch?(prefixes: readonly KeyPath[], onEvent: (e: WatchEvent) => void, opts?: WatchOptions): Promise<Unwatch>;
  close(): Promise<void>;
}

export interface BackendContext {
  /** Already a child logger bound to `{backend: name}`. */
  readonly logger: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch: typeof globalThis.fetch;
  /** Directory relative paths in options resolve against (the config file's directory). */
  readonly baseDir: string;
}

/** Environment variables, injected (a backend never reads process.env). */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * A backend kind: its options as a schema (the language every config section uses: types,
 * defaults, ranges, descriptions, secrets), the cross-option checks that turn validated values
 * into what its factory takes, and a synchronous, I/O-free factory (connections are lazy).
 * `backends/options.ts` runs the schema and `finish` for the config loader, `check`, `--backend`
 * URIs and the generated reference alike, so an accepted option never fails at run time.
 */
export interface BackendDefinition<O = unknown> {
  readonly kind: BackendKind;
  readonly description: string;
  readonly options: SectionSchema;
  /** `values` are type- and range-checked with defaults applied; errors point at `child(at, key)`. */
  finish(values: Readonly<Record<string, unknown>>, at: At, env: Env): O;
  create(name: string, options: O, ctx: BackendContext): Backend;
}
