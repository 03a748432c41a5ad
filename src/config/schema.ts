/**
 * The config schema as data: one table per section, one line per key (type, default, description).
 * The loader validates against it (unknown keys, types, defaults) and the key reference in docs/config-reference.md is
 * generated from it (`referenceMarkdown()` in config/reference.ts). To add a key: add one line here,
 * then read it where the section is normalized (the value arrives already type-checked).
 */

import type { SectionSchema } from '../schema/types.ts';


const CMD_DOC =
  'String: run with `/bin/sh -c`. Array of strings: run without a shell (argv). ' +
  'Placeholders `{{ src }}`, `{{ dst }}` (also Go style `{{.src}}`, `{{.dst}}`, `{{.dest}}`) are substituted when it runs.';

export const topSchema = {
  title: 'top level (config.toml)',
  keys: {
    log_level: { type: 'log-level', default: 'info', description: 'trace, debug, info, warn (or warning), error, fatal (or panic), silent.' },
    log_format: { type: 'log-format', default: 'text', description: '`text` (human readable) or `json` (one object per line).' },
    pid_file: { type: 'path', description: 'Write the process id to this file.' },
    include_dir: {
      type: 'path',
      description: 'Directory of resource files: every `*.toml` in it is one resource written without the `[[resource]]` prefix.',
    },
    confdir: {
      type: 'path',
      description: 'confd layout: `<confdir>/conf.d/**/*.toml` are confd `[template]` files; their `src` is relative to `<confdir>/templates`.',
      seeAlso: ['confDir', 'conf_dir'],
    },
    default_backends: {
      type: 'table',
      description: '`[default_backends.<kind>]`: backend settings deep-copied into every resource, then overlaid by the resource\'s own `[resource.backend.<kind>]`.',
      seeAlso: ['defaults', 'backends', 'backend'],
    },
    resource: { type: 'tables', description: '`[[resource]]`: one resource (see below).', seeAlso: ['resources', 'template'] },
    http: { type: 'table', description: '`[http]`: the status listener with `/healthz` and `/metrics` (off unless `listen` is set; see below).', seeAlso: ['telemetry', 'status', 'metrics'] },
    haproxy: { type: 'table', description: '`[haproxy]`: run HAProxy as keyplate\'s child and apply changes live or by a confirmed reload (see below).', seeAlso: ['exec'] },
    watch_templates: {
      type: 'boolean',
      default: true,
      description: '`keyplate run`: watch every template and the files it includes, imports or extends, and render the resources using an edited one again (no restart). `false`: edits apply on SIGHUP.',
      seeAlso: ['watch_template', 'template_watch'],
    },
  },
  unsupported: {
    filter_dir: 'remco JavaScript filters are not supported; keyplate templates are Nunjucks with built-in filters',
    telemetry: 'remco [telemetry] is not supported',
    backend: 'confd global backend settings go in [default_backends.<kind>] (e.g. [default_backends.etcd] with nodes = [...])',
    nodes: 'confd global backend settings go in [default_backends.<kind>] (e.g. [default_backends.etcd] with nodes = [...])',
    prefix: 'a global prefix goes in [default_backends.<kind>] as prefix = "..."',
  },
} as const satisfies SectionSchema;

export const resourceSchema = {
  title: '[[resource]] (or a whole include_dir file)',
  keys: {
    name: {
      type: 'string',
      description: 'Name used in logs and errors; must be unique.',
      defaultText: 'include_dir/conf.d: the file name without `.toml`; `[[resource]]`: the first template\'s dst file name',
    },
    template: { type: 'tables', required: true, description: '`[[resource.template]]`: one or more templates (see below).', seeAlso: ['templates'] },
    backend: { type: 'table', description: '`[resource.backend.<kind>]`: one table per backend kind (see below). At least one backend (here or in default_backends).', seeAlso: ['backends'] },
    reload_cmd: { type: 'command', description: 'Run once after any of the resource\'s templates changed. String: run with `/bin/sh -c`; array of strings: argv, no shell.' },
    reload_timeout: { type: 'duration', default: '30s', description: 'Kill the resource reload_cmd (whole process group) after this long.' },
    guard_empty: {
      type: 'boolean',
      default: true,
      description: 'Data guard: when a snapshot (a first read, a resync, an `interval` read, a Rancher answer) finds a read prefix empty that had keys at the last install, hold that prefix at its last good values while every other prefix applies (a backend answering "nothing" during a failover). A delete delivered by the watch is data and always applies. Across restarts the baseline is `<dst>.keyplate-state`; `run --allow-empty` accepts the data as read.',
    },
    max_shrink: {
      type: 'fraction',
      default: 1,
      description: 'Data guard: hold a read prefix at its last good values when a snapshot finds it shrunk by more than this fraction of the keys it had at the last install (`0.5` or `"50%"`). 1 = any shrink is accepted. Watch deletes are never held.',
    },
    missing_keys: {
      type: 'string',
      default: 'error',
      description: '`error`: `get`/`getv` of a missing key (without a default) fails the render and the destination keeps its last good version. `default` (or `empty`): it renders as an empty string. `wait`: with `run --onetime`, re-read the backends and retry until the keys exist or `missing_timeout` passes (then fail naming the key); in daemon mode like `error`.',
    },
    allow_multiline_values: {
      type: 'boolean',
      default: false,
      description: 'Let `{{ }}` write backend values (and keys) that hold a line break (CR, LF) or NUL. By default such a value fails the render naming the key, so a value can never add a directive; `{{ x | multiline }}` allows it for one expression.',
      seeAlso: ['quarantine'],
    },
    missing_timeout: { type: 'duration', default: '60s', description: 'With `missing_keys = "wait"`: how long `run --onetime` waits for missing keys.' },
    vars: {
      type: 'table',
      description: '`[resource.vars]`: string values (usually `"${ENV_VAR:-default}"`) that every template of the resource sees as `vars.<name>`. A value may be typed, checked when the config loads: `{ value = "${ENABLE_STATS:-false}", type = "boolean" }` (types `string`, `boolean`, `integer`, `port`, `hostname`; optional `choices = [...]`).',
      seeAlso: ['variables', 'env'],
    },
    wait: {
      type: 'wait',
      default: 0,
      description: 'Debounce: `wait = { min = "200ms", max = "2s" }` renders once changes stop for `min`, but never later than `max` after the first change. `wait = "200ms"` means min 200ms, max 4×min. 0 renders at once.',
      seeAlso: ['debounce', 'quiescence'],
    },
  },
  unsupported: {
    start_cmd: 'remco start_cmd is not supported; run the command from your entrypoint',
    exec: 'remco [exec] mode is not supported; use keyplate\'s HAProxy supervisor',
    resource: 'an include_dir file is one resource written without the [[resource]] prefix: put name, [[template]] and [backend.<kind>] at the top level',
  },
} as const satisfies SectionSchema;

export const templateSchema = {
  title: '[[resource.template]]',
  keys: {
    src: { type: 'path', required: true, description: 'Template file (Nunjucks, or Go text/template with `engine = "go"`). Relative paths resolve against the directory of the file that contains them.', seeAlso: ['source'] },
    dst: { type: 'path', required: true, description: 'Destination file. Relative paths resolve like `src`.', seeAlso: ['dest', 'destination', 'target'] },
    engine: {
      type: 'string',
      default: 'nunjucks',
      choices: ['nunjucks', 'go'],
      description: 'The template language: `nunjucks` (remco/pongo2 syntax), or `go` for confd templates (Go text/template with confd\'s functions, run unchanged). Templates of a confd `confdir` are always `go`; a `.tmpl` file elsewhere is Nunjucks unless this says `go`.',
      seeAlso: ['language', 'syntax', 'template_engine'],
    },
    mode: { type: 'mode', defaultText: 'keep the existing file\'s mode, else 0644', description: 'Octal file mode: `"0644"`, `"0o644"` or the TOML literal `0o644`. `"644"` is rejected (confd/remco read it as decimal 644 = 0o1204).', seeAlso: ['perms', 'permissions', 'chmod'] },
    uid: { type: 'id', aliases: ['UID'], defaultText: 'keep the existing owner, else the effective uid', description: 'Numeric owner user id.', seeAlso: ['user'] },
    gid: { type: 'id', aliases: ['GID'], defaultText: 'keep the existing group, else the effective gid', description: 'Numeric owner group id.', seeAlso: ['group'] },
    owner: { type: 'user', description: 'Owner as a user name (looked up in /etc/passwd) or numeric id; sets the uid. Must agree with `uid` when both are set.' },
    check_cmd: { type: 'command', description: `Validate the staged file before installing it; non-zero exit keeps the old file. Reference the staged file with \`{{ src }}\` (a warning is logged otherwise). ${CMD_DOC}`, seeAlso: ['check', 'validate'] },
    reload_cmd: { type: 'command', description: `Run after this template's destination changed. ${CMD_DOC}`, seeAlso: ['command', 'reload'] },
    check_timeout: { type: 'duration', default: '30s', description: 'Kill check_cmd (whole process group) after this long; the check then fails.' },
    reload_timeout: { type: 'duration', default: '30s', description: 'Kill reload_cmd (whole process group) after this long; the reload then fails.', seeAlso: ['command_timeout'] },
    make_directories: { type: 'boolean', default: false, description: 'Create missing parent directories of `dst` (mode 0755).', seeAlso: ['create_dest_dirs', 'mkdir'] },
    enabled: { type: 'boolean', default: true, description: 'Set to false (or `"${VAR:-false}"`) to leave this template out, e.g. a PEM file only when SSL is on.' },
    foreign_marker: {
      type: 'string',
      description: 'Text keyplate puts in every file it renders here. An existing `dst` without it was put there by someone else (e.g. a volume-mounted certificate) and is left alone.',
    },
    keep_stage_file: {
      type: 'boolean',
      default: false,
      description: 'Keep every stage file (`.<dst name>.keyplate-<random>` beside `dst`) for debugging instead of deleting it (confd `-keep-stage-file`). A render `check_cmd` refused is kept at `<dst>.rejected` either way.',
      seeAlso: ['keep-stage-file', 'keepStageFile'],
    },
  },
} as const satisfies SectionSchema;

export const backendSchema = {
  title: '[resource.backend.<kind>] and [default_backends.<kind>] (common keys; kind-specific options come from each backend)',
  keys: {
    keys: { type: 'keys', required: true, description: 'Key prefixes to read (with everything below them), relative to `prefix`. Required here or in default_backends.', seeAlso: ['key'] },
    watchKeys: { type: 'keys', aliases: ['watch_keys'], defaultText: 'keys', description: 'Key prefixes whose changes trigger a render when `watch = true`.' },
    prefix: { type: 'key', default: '/', description: 'Prefix prepended to every key and stripped before the template sees it.' },
    watch: { type: 'boolean', default: false, description: 'Watch the backend for changes (backends without watch support are polled on `interval`).' },
    interval: { type: 'duration', defaultText: '60 (seconds) when neither watch nor onetime is set, else none', description: 'Poll every this many seconds (a number, or a duration string). Beside `watch` it is a reconciliation loop.' },
    onetime: { type: 'boolean', default: false, description: 'Read once; never watch or poll this backend.' },
    name: { type: 'string', defaultText: 'the kind', description: 'Instance name for logs and errors; unique within the resource.' },
  },
} as const satisfies SectionSchema;

export const waitSchema = {
  title: 'wait = { ... } (resource debounce)',
  keys: {
    min: { type: 'duration', default: 0, description: 'Quiet time after the last change before rendering.' },
    max: { type: 'duration', defaultText: '4 × min', description: 'Render no later than this after the first change of a burst.' },
  },
} as const satisfies SectionSchema;

export const confdFileSchema = {
  title: 'confd resource file (<confdir>/conf.d/**/*.toml)',
  keys: {
    template: { type: 'table', required: true, description: '`[template]`: the one template of this resource (see below).' },
  },
} as const satisfies SectionSchema;

export const confdTemplateSchema = {
  title: '[template] in a confd resource file',
  keys: {
    src: { type: 'path', required: true, description: 'Template file, relative to `<confdir>/templates` (or absolute).' },
    dest: { type: 'path', required: true, description: 'Destination file (relative paths resolve against the directory of the file that contains them).', seeAlso: ['dst', 'destination'] },
    keys: { type: 'keys', required: true, description: 'Key prefixes to read; replaces `keys` of every `[default_backends.<kind>]`.' },
    prefix: { type: 'key', default: '/', description: 'Joined onto each default backend\'s prefix (confd: global prefix + template prefix).' },
    mode: templateSchema.keys.mode,
    owner: templateSchema.keys.owner,
    uid: templateSchema.keys.uid,
    gid: templateSchema.keys.gid,
    check_cmd: templateSchema.keys.check_cmd,
    reload_cmd: templateSchema.keys.reload_cmd,
    check_timeout: templateSchema.keys.check_timeout,
    reload_timeout: templateSchema.keys.reload_timeout,
    make_directories: templateSchema.keys.make_directories,
    keep_stage_file: templateSchema.keys.keep_stage_file,
    wait: resourceSchema.keys.wait,
  },
} as const satisfies SectionSchema;

export const haproxySchema = {
  title: '[haproxy] (supervised HAProxy)',
  keys: {
    enabled: { type: 'boolean', default: true, description: 'Set to false (or `"${VAR:-false}"`) to keep the section but not run HAProxy.' },
    config_files: { type: 'string[]', required: true, description: 'Configuration files passed as `-f`, in order (usually the destinations of your templates). Relative paths resolve against this file.' },
    master_socket: { type: 'path', required: true, description: 'Master CLI socket (`-S <path>,mode,600`): reloads are sent and confirmed through it.' },
    admin_socket: { type: 'path', defaultText: 'the `stats socket ... level admin` of the config\'s global section', description: 'Runtime API socket used to change servers and map entries without a reload.' },
    command: { type: 'path', default: '/usr/sbin/haproxy', description: 'The haproxy binary (Debian package "haproxy").' },
    args: { type: 'string[]', description: 'Extra arguments before the `-f` options (`-W`, `-S` and `-f` are added by keyplate).' },
    extra_files: { type: 'string[]', description: 'Other files whose change must reload HAProxy (certificates, ACL files).' },
    resources: { type: 'string[]', defaultText: 'every resource', description: 'Resources whose changes are applied through this HAProxy instead of their reload_cmd.' },
    stop_signal: { type: 'string', default: 'SIGUSR1', description: 'Graceful stop: workers stop listening and finish their connections.' },
    kill_signal: { type: 'string', default: 'SIGTERM', description: 'Sent when the graceful stop did not finish within stop_timeout (SIGKILL 3 s later).' },
    stop_timeout: { type: 'duration', default: '30s', description: 'How long workers may drain on SIGTERM/SIGINT.' },
    start_timeout: { type: 'duration', default: '15s', description: 'How long to wait for the first worker after starting.' },
    reload_timeout: { type: 'duration', default: '30s', description: 'Give up waiting for `show proc` to confirm a reload after this long.' },
    check_before_reload: { type: 'boolean', default: true, description: 'Run `haproxy -c` on the files before every reload.' },
    check_timeout: { type: 'duration', default: '30s', description: '`haproxy -c` timeout.' },
    min_reload_interval: { type: 'duration', default: '2s', description: 'At most one reload per this interval; changes arriving meanwhile join the next one.' },
    remove_server_timeout: { type: 'duration', default: '2s', description: 'Retry `del server` this long while connections drain; then the server stays in maintenance until it can be deleted.' },
    runtime_api: { type: 'boolean', default: true, description: 'Apply server and map changes through the Runtime API; false reloads on every change.' },
  },
} as const satisfies SectionSchema;

export const httpSchema = {
  title: '[http] (status listener)',
  keys: {
    listen: { type: 'string', description: 'Address of the status listener: `"127.0.0.1:9100"`, `":9100"` (all interfaces) or `"9100"`. Unset: no listener. `keyplate run --listen` overrides it.' },
    freshness: { type: 'duration', default: '60s', description: '`/healthz` answers 503 when a resource has not rendered yet, or one of its backends is disconnected and has not synced for this long.' },
    username: { type: 'string', description: 'With `password`: the status page (`/`) and `/status` require HTTP basic auth with these credentials (`/healthz` and `/metrics` stay open). Use `${VAR}` to take them from the environment.' },
    password: { type: 'string', description: 'The basic-auth password of the status page (see `username`); never logged or shown.' },
  },
} as const satisfies SectionSchema;

/** Every section, in reference order. */
export const configSchema = {
  top: topSchema,
  resource: resourceSchema,
  template: templateSchema,
  backend: backendSchema,
  wait: waitSchema,
  haproxy: haproxySchema,
  http: httpSchema,
  confdFile: confdFileSchema,
  confdTemplate: confdTemplateSchema,
} as const;
