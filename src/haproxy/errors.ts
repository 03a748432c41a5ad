/** Typed errors of the live-HAProxy layer. Messages start with `[haproxy]` context. */
import { AppError, ExitCode, type AppErrorOptions } from '../errors.ts';

/** HAProxy could not be started or kept up (spawn failure, crash loop, master socket never answered). */
export class HaproxyProcessError extends AppError {
  /** The last lines HAProxy wrote to stderr, newest last (may be empty). */
  readonly stderrTail: readonly string[];
  constructor(message: string, opts: AppErrorOptions & { stderrTail?: readonly string[] } = {}) {
    super('E_HAPROXY_PROCESS', ExitCode.PROCESS, `[haproxy] ${message}`, opts);
    this.stderrTail = opts.stderrTail ?? [];
  }
}

/** A reload was rejected or could not be confirmed. `reload()` reports this as a result; it is
 *  thrown only by callers that want an exception (e.g. `assertReloaded`). */
export class HaproxyReloadError extends AppError {
  constructor(message: string, opts?: AppErrorOptions) {
    super('E_HAPROXY_RELOAD', ExitCode.RELOAD, `[haproxy] reload failed: ${message}`, opts);
  }
}

/** A CLI socket (master or admin) could not be reached or did not answer in time. */
export class HaproxySocketError extends AppError {
  readonly socketPath: string;
  /** errno-style code of the underlying failure (ECONNREFUSED, ENOENT, ETIMEDOUT, ...). */
  readonly errno?: string;
  constructor(socketPath: string, message: string, opts: AppErrorOptions & { errno?: string } = {}) {
    super('E_HAPROXY_SOCKET', ExitCode.PROCESS, `[haproxy:${socketPath}] ${message}`, opts);
    this.socketPath = socketPath;
    this.errno = opts.errno;
  }
}
