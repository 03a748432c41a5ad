/** Options of the supervised HAProxy process and of the controller, with their defaults. The lead
 *  maps the TOML `[haproxy]` section onto `HaproxyControllerOptions` (see docs/haproxy.md). */
import type { Clock } from '../schedule/schedule.ts';

export interface RestartPolicy {
  /** First restart delay; doubles per crash inside `windowMs`. Default 100 ms. */
  readonly baseMs: number;
  /** Cap for the restart delay. Default 5000 ms. */
  readonly maxMs: number;
  /** Give up (emit `failed`) after this many crashes inside `windowMs`. Default 5. */
  readonly maxRestarts: number;
  /** Default 60 000 ms. */
  readonly windowMs: number;
}

export interface HaproxyProcessOptions {
  /** Time source for deadlines and crash windows (default: the system clock). */
  readonly clock?: Clock;
  /** The haproxy binary. Default `/usr/sbin/haproxy`. */
  readonly command?: string;
  /** Configuration files, passed as `-f <file>` in this order. */
  readonly configFiles: readonly string[];
  /** Master CLI socket path, passed as `-S <path>,mode,600`. Required: reloads and health go through it. */
  readonly masterSocket: string;
  /** Extra arguments placed before the `-f` options (e.g. `["-L", "hap1"]`). `-W`/`-S` are added by keyplate. */
  readonly args?: readonly string[];
  /** Working directory (relative paths in the config resolve against it). Default: process.cwd() of the caller. */
  readonly cwd?: string;
  /** Environment of HAProxy. Default: empty apart from PATH (inject, never read process.env here). */
  readonly env?: Readonly<Record<string, string>>;
  /** Graceful stop signal sent to the master: workers stop listening and finish their connections. Default SIGUSR1. */
  readonly stopSignal?: NodeJS.Signals;
  /** Sent when the graceful stop has not finished after `stopTimeoutMs` (then SIGKILL 3 s later). Default SIGTERM. */
  readonly killSignal?: NodeJS.Signals;
  /** How long workers may drain on stop. Default 30 000 ms. */
  readonly stopTimeoutMs?: number;
  /** How long to wait for the master socket to list a worker after spawning. Default 15 000 ms. */
  readonly startTimeoutMs?: number;
  readonly restart?: Partial<RestartPolicy>;
  /**
   * HAProxy's stdout, where `log stdout` sends its (access) logs, is copied here as it comes, so
   * they show in `docker logs`. Without it, stdout lines go to the logger (debug) like stderr's.
   */
  readonly logOutput?: NodeJS.WritableStream;
}

export interface HaproxyControllerOptions extends HaproxyProcessOptions {
  /** At most one reload per this interval; changes arriving meanwhile join the next one. Default 2000 ms. */
  readonly minReloadIntervalMs?: number;
  /** Run `haproxy -c` on the files before reloading (no reload if it fails). Default true. */
  readonly checkBeforeReload?: boolean;
  /** Give up waiting for `show proc` to confirm a reload after this long. Default 30 000 ms. */
  readonly reloadTimeoutMs?: number;
  /** `haproxy -c` timeout. Default 30 000 ms. */
  readonly checkTimeoutMs?: number;
  /** Admin socket for Runtime API commands. Default: the `stats socket ... level admin` from the
   *  config's global section, else the master socket with `@1` (current worker). */
  readonly adminSocket?: string;
  /** Other files (certificates, ACL pattern files) whose change must trigger a reload. */
  readonly extraFiles?: readonly string[];
  /** `del server` is retried this long while connections are attached; after that the server stays in
   *  maintenance (out of rotation) and deletion is retried every second until it succeeds or a reload
   *  drops it. Default 2000 ms. */
  readonly removeServerTimeoutMs?: number;
  /** More than this many changed entries in one map → one atomic prepare/commit swap. Default 50. */
  readonly bulkMapThreshold?: number;
  /** Never use the Runtime API: every change reloads. Default false. */
  readonly disableRuntimeApi?: boolean;
}

export const DEFAULT_COMMAND = '/usr/sbin/haproxy';

export function restartPolicy(p: Partial<RestartPolicy> | undefined): RestartPolicy {
  return { baseMs: p?.baseMs ?? 100, maxMs: p?.maxMs ?? 5000, maxRestarts: p?.maxRestarts ?? 5, windowMs: p?.windowMs ?? 60_000 };
}

/** The argv keyplate runs: `-W -S <sock>,mode,600 [args] -f <cfg>...`. */
export function haproxyArgv(o: HaproxyProcessOptions): string[] {
  return ['-W', '-S', `${o.masterSocket},mode,600`, ...(o.args ?? []), ...o.configFiles.flatMap((f) => ['-f', f])];
}

/** HAProxy's environment: the given env, or a minimal PATH. */
export function haproxyEnv(o: HaproxyProcessOptions): Record<string, string> {
  return { ...(o.env ?? { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }) };
}
