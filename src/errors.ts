import { maskText } from './secrets/mask.ts';

/**
 * Typed errors. Every error keeps its `cause`, carries a stable `code` and maps to one documented
 * process exit code (see docs/cli.md "Exit codes").
 */

/** Process exit codes. Stable: documented in README.md and docs/cli.md, and relied on by scripts. */
export const ExitCode = {
  OK: 0,
  /** An unexpected internal error (a bug): please report it. */
  INTERNAL: 1,
  /** Bad command line: unknown flag, missing argument. */
  USAGE: 2,
  /** Bad configuration: TOML syntax, unknown key, wrong type, missing template file. */
  CONFIG: 3,
  /** A backend could not be read (connection refused, timeout, bad answer). */
  BACKEND: 4,
  /** A template failed to compile or render (missing key, syntax error). */
  RENDER: 5,
  /** check_cmd rejected the staged file: the destination was left untouched. */
  CHECK: 6,
  /** reload_cmd failed: the previous file was restored and the reload re-run. */
  RELOAD: 7,
  /** The destination could not be written (permissions, missing directory, disk full). */
  INSTALL: 8,
  /** A supervised process (HAProxy) could not be started or kept up. */
  PROCESS: 9,
  /** A data guard refused to install a render (an emptied prefix, a too-large shrink). */
  GUARD: 10,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** `render --diff --exit-code`, `check --render --exit-code`: a destination would change (as `git diff --exit-code`). */
export const DIFFERENCES_EXIT: ExitCodeValue = 1;

const APP_ERROR = Symbol.for('keyplate.AppError');

export interface AppErrorOptions {
  readonly cause?: unknown;
}

export class AppError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly [APP_ERROR] = true;
  constructor(code: string, exitCode: ExitCodeValue, message: string, opts: AppErrorOptions = {}) {
    // every message is masked once, here: credentials in URLs never reach a log, a status page or stderr
    super(maskText(message), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

export function isAppError(e: unknown): e is AppError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[APP_ERROR] === true;
}

/** Where in a config file something went wrong. */
export interface ConfigLocation {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** Dotted key path, e.g. `resource[0].template[1].mode`. */
  readonly key?: string;
}

export function formatLocation(loc: ConfigLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.line !== undefined && loc.column !== undefined) s += `:${loc.column}`;
  return s;
}

export class UsageError extends AppError {
  constructor(message: string, opts?: AppErrorOptions) {
    super('E_USAGE', ExitCode.USAGE, message, opts);
  }
}

export class ConfigError extends AppError {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly key?: string;
  readonly detail: string;
  constructor(loc: ConfigLocation, detail: string, opts?: AppErrorOptions) {
    const where = formatLocation(loc);
    super('E_CONFIG', ExitCode.CONFIG, `${where}: ${loc.key ? `${loc.key}: ` : ''}${detail}`, opts);
    this.file = loc.file;
    this.line = loc.line;
    this.column = loc.column;
    this.key = loc.key;
    this.detail = detail;
  }
}

/** Every config error found in one pass (`keyplate check` reports them all, then exits 3). */
export class ConfigErrors extends ConfigError {
  readonly errors: readonly ConfigError[];
  constructor(errors: readonly ConfigError[]) {
    const first = errors[0];
    super({ file: first.file, line: first.line, column: first.column, key: first.key }, first.detail, { cause: first });
    this.errors = errors;
    this.message = `${errors.length} configuration errors:\n${errors.map((e) => `  ${e.message}`).join('\n')}`;
  }
}

/** The single errors inside `e` (a ConfigErrors is flattened). */
export function configErrorsOf(e: ConfigError): ConfigError[] {
  return e instanceof ConfigErrors ? e.errors.flatMap(configErrorsOf) : [e];
}

/**
 * Collects ConfigErrors so a loader can go on and report every mistake at once: `run` returns
 * the callback's result, or undefined after recording its ConfigError; anything else propagates.
 */
export class ConfigErrorSink {
  readonly #errors: ConfigError[] = [];
  run<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      this.#errors.push(...configErrorsOf(e));
      return undefined;
    }
  }
  async runAsync<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      this.#errors.push(...configErrorsOf(e));
      return undefined;
    }
  }
  get size(): number {
    return this.#errors.length;
  }
  /** Throw what was collected (one error as itself, several as ConfigErrors); no-op when none. */
  throwIfAny(): void {
    if (this.#errors.length === 1) throw this.#errors[0];
    if (this.#errors.length > 1) throw new ConfigErrors(this.#errors);
  }
}

export class BackendError extends AppError {
  readonly backend: string;
  readonly retryable: boolean;
  constructor(backend: string, message: string, opts: AppErrorOptions & { retryable?: boolean } = {}) {
    super('E_BACKEND', ExitCode.BACKEND, `[backend:${backend}] ${message}`, opts);
    this.backend = backend;
    this.retryable = opts.retryable ?? true;
  }
}

export type Step = 'fetch' | 'render' | 'stage' | 'compare' | 'check' | 'install' | 'reload' | 'guard';

const STEP_EXIT: Record<Step, ExitCodeValue> = {
  fetch: ExitCode.BACKEND,
  render: ExitCode.RENDER,
  stage: ExitCode.INSTALL,
  compare: ExitCode.INSTALL,
  check: ExitCode.CHECK,
  install: ExitCode.INSTALL,
  reload: ExitCode.RELOAD,
  guard: ExitCode.GUARD,
};

export class ResourceError extends AppError {
  readonly resource: string;
  readonly step: Step;
  constructor(resource: string, step: Step, message: string, opts?: AppErrorOptions) {
    super(`E_${step.toUpperCase()}`, STEP_EXIT[step], `[resource:${resource}] ${step} failed: ${message}`, opts);
    this.resource = resource;
    this.step = step;
  }
}

/** A template failed to compile or render. `line`/`column` are 1-based, in `template`. */
export class TemplateError extends ResourceError {
  readonly template: string;
  readonly line?: number;
  readonly column?: number;
  /** Keys whose values the render refused (a multi-line value), when known. */
  readonly keys?: readonly string[];
  constructor(
    resource: string,
    where: { template: string; line?: number; column?: number },
    message: string,
    opts?: AppErrorOptions & { keys?: readonly string[] },
  ) {
    const pos = where.line !== undefined ? `:${where.line}${where.column !== undefined ? `:${where.column}` : ''}` : '';
    super(resource, 'render', `${where.template}${pos}: ${message}`, opts);
    this.template = where.template;
    this.line = where.line;
    this.column = where.column;
    this.keys = opts?.keys;
  }
}

/** Thrown by tree lookups (`get`, `getv` without default); the template layer adds file:line. */
export class KeyNotFoundError extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`key does not exist: ${key}`);
    this.name = 'KeyNotFoundError';
    this.key = key;
  }
}

/** Map any thrown value to the process exit code it stands for. */
export function exitCodeOf(e: unknown): ExitCodeValue {
  return isAppError(e) ? e.exitCode : ExitCode.INTERNAL;
}

/** The message to show for any thrown value, masked (secrets/mask.ts). */
export function errorMessage(e: unknown): string {
  return maskText(e instanceof Error ? e.message : String(e));
}
