/**
 * The validated, normalized configuration every other module consumes. The loader (config/load.ts)
 * turns remco-style TOML (`[[resource]]`), confd-style conf.d files (`[template]`) and flags into
 * these shapes; nothing downstream ever sees raw TOML.
 */
import type { BackendKind } from '../backends/contract.ts';
import type { KeyPath } from '../tree/keys.ts';
import type { CommandSpec } from '../exec/command.ts';
import type { LogFormat } from '../log.ts';
import type { DebounceSpec } from '../schedule/schedule.ts';


/** Where a resource or value came from, for error messages. */
export interface Origin {
  readonly file: string;
  readonly line?: number;
}

export interface TemplateSpec {
  /** Absolute path of the template source. */
  readonly src: string;
  /** Absolute destination path. */
  readonly dst: string;
  /** File mode; undefined = keep the existing destination's mode, else 0644. */
  readonly mode?: number;
  /** Owner; undefined = keep the existing owner, else the effective uid/gid. */
  readonly uid?: number;
  readonly gid?: number;
  /** Placeholders `{{ src }}`/`{{ dst }}` (also Go style `{{.src}}`, `{{.dst}}`, `{{.dest}}`). */
  readonly checkCmd?: CommandSpec;
  readonly reloadCmd?: CommandSpec;
  readonly checkTimeoutMs: number;
  readonly reloadTimeoutMs: number;
  /** mkdir -p the destination's directory (0755) before staging. */
  readonly makeDirectories: boolean;
  /** When set, an existing `dst` that lacks this text is operator-provided and never overwritten. */
  readonly foreignMarker?: string;
  /** Keep every stage file (`.<dst>.keyplate-…`) for debugging instead of deleting it (confd -keep-stage-file). */
  readonly keepStageFile?: boolean;
  /** The template language: Go text/template (confd) or Nunjucks (default). */
  readonly engine?: 'go' | 'nunjucks';
  readonly origin: Origin;
}

export interface BackendSpec {
  readonly kind: BackendKind;
  /** Instance name, unique within the resource (defaults to the kind). */
  readonly name: string;
  /** Stripped from every key before the template sees it. */
  readonly prefix: KeyPath;
  /** Prefixes to read, relative to `prefix`. */
  readonly keys: readonly KeyPath[];
  /** Prefixes to watch, relative to `prefix` (remco `watchKeys`; default: `keys`). */
  readonly watchKeys: readonly KeyPath[];
  readonly watch: boolean;
  /** Poll (or, beside a watch, reconcile) every this many ms. undefined = no interval. */
  readonly intervalMs?: number;
  /** Read once, never watch or poll this backend. */
  readonly onetime: boolean;
  /** Kind-specific options as the backend's `finish` produced them (checked, defaults applied). */
  readonly options: unknown;
  readonly origin: Origin;
}


export interface ResourceSpec {
  readonly name: string;
  readonly templates: readonly TemplateSpec[];
  readonly backends: readonly BackendSpec[];
  /** Run after the resource's templates changed (remco resource-level reload_cmd). */
  readonly reloadCmd?: CommandSpec;
  readonly reloadTimeoutMs: number;
  readonly debounce: DebounceSpec;
  /** Data guards (guard_empty, max_shrink). */
  readonly guard?: { readonly refuseEmpty: boolean; readonly maxShrink: number };
  /** What a missing key does in a template: fail (error, wait) or render "" (empty). */
  readonly missingKeys?: 'error' | 'empty' | 'wait';
  /** `allow_multiline_values`: `{{ }}` may write values holding CR/LF/NUL. */
  readonly allowMultilineValues?: boolean;
  /** With missingKeys 'wait': how long `run --onetime` waits for the keys. */
  readonly missingTimeoutMs?: number;
  /** `[resource.vars]`: strings every template sees as `vars.<name>`. */
  readonly vars?: Readonly<Record<string, string>>;
  readonly origin: Origin;
}


/** `[haproxy]`: HAProxy as keyplate's child (see src/haproxy/). */
export interface HaproxySpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly configFiles: readonly string[];
  readonly masterSocket: string;
  readonly adminSocket?: string;
  readonly extraFiles: readonly string[];
  /** Resource names applied through HAProxy; undefined = every resource. */
  readonly resources?: readonly string[];
  readonly cwd: string;
  readonly stopSignal: string;
  readonly killSignal: string;
  readonly stopTimeoutMs: number;
  readonly startTimeoutMs: number;
  readonly reloadTimeoutMs: number;
  readonly checkBeforeReload: boolean;
  readonly checkTimeoutMs: number;
  readonly minReloadIntervalMs: number;
  readonly removeServerTimeoutMs: number;
  readonly runtimeApi: boolean;
  readonly origin: Origin;
}

export interface AppConfig {
  /** The config file this came from (absolute), or `<flags>` for an ad-hoc render. */
  readonly file: string;
  readonly logLevel: string;
  readonly logFormat: LogFormat;
  readonly pidFile?: string;
  readonly includeDir?: string;
  /** confd layout root (`<confdir>/conf.d`, `<confdir>/templates`), absolute. */
  readonly confDir?: string;
  readonly resources: readonly ResourceSpec[];
  readonly haproxy?: HaproxySpec;
  /** Watch templates (and their includes) and render again on an edit (`watch_templates`; undefined = true). */
  readonly watchTemplates?: boolean;
  readonly http?: {
    readonly listen?: string;
    readonly freshnessMs: number;
    /** Basic auth for `/` and `/status` (`[http] username`/`password`). */
    readonly auth?: { readonly username: string; readonly password: string };
  };
}
