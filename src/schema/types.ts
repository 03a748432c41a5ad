/**
 * The schema language shared by every TOML section keyplate reads (the config sections in
 * config/schema.ts, each backend's options): value kinds, per-key specs with defaults, ranges and
 * aliases, and the section table the loader and the generated references read.
 */

/** How a value is written in TOML and what it becomes after validation (see `ValueTypes`). */
export type ValueKind =
  | 'string'
  | 'string[]'
  | 'boolean'
  | 'duration'
  | 'mode'
  | 'command'
  | 'path'
  | 'id'
  | 'user'
  | 'wait'
  | 'keys'
  | 'key'
  | 'log-level'
  | 'log-format'
  | 'table'
  | 'tables'
  | 'fraction'
  /** A whole number (also from a numeric string, as `${VAR}` gives); `min`/`max` bound it. */
  | 'integer'
  /** A finite number (also from a numeric string); `min`/`max` bound it. */
  | 'number'
  /** One of `choices` (numbers are compared as their decimal text). */
  | 'choice';

export interface KeySpec {
  readonly type: ValueKind;
  readonly description: string;
  /** Default, written as it would be in TOML; it goes through the same validation as user values. */
  readonly default?: string | number | boolean | readonly string[];
  /** Human text for the reference when the default is computed, e.g. "the resource file's name". */
  readonly defaultText?: string;
  readonly required?: boolean;
  /** Other accepted spellings (remco `UID` for `uid`). Writing two spellings of one key is an error. */
  readonly aliases?: readonly string[];
  /** Names other tools use for this key: never accepted, only used for "did you mean" suggestions. */
  readonly seeAlso?: readonly string[];
  /** Bounds of a number, integer or duration, in the unit it is written in (seconds for durations). */
  readonly min?: number;
  readonly max?: number;
  /** The accepted values of a `choice`. */
  readonly choices?: readonly string[];
  /** Never logged nor echoed in an error; shown as secret in the reference. */
  readonly secret?: boolean;
}

export interface SectionSchema {
  /** Where the section lives, as users write it, e.g. `[[resource.template]]`. */
  readonly title: string;
  readonly keys: Readonly<Record<string, KeySpec>>;
  /** Keys other tools accept that keyplate rejects on purpose, with the reason shown to the user. */
  readonly unsupported?: Readonly<Record<string, string>>;
}
