/**
 * loadConfig(): the main TOML file (remco schema, plus `confdir` for the confd layout) →
 * validated, normalized, frozen AppConfig. Every problem is a ConfigError (exit code 3) naming
 * the file, line and key path; soft problems go to `onWarning`.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { nameTheVariable } from './env-vars.ts';
import { backendDefinitions, findBackendDefinition } from '../backends/registry.ts';
import { ConfigError, ConfigErrors, ConfigErrorSink, configErrorsOf } from '../errors.ts';
import { readBackendTable, type BackendRegistry } from './backend.ts';
import { loadConfdDir } from './confd.ts';
import { loadDoc, type LoadContext } from './context.ts';
import { buildHaproxy } from './haproxy.ts';
import { loadIncludeDir } from './include.ts';
import { passwdLookup, type LookupUser } from './owner.ts';
import { buildResource } from './resource.ts';
import { checkUniqueDestinations } from './destinations.ts';
import { httpSchema, topSchema } from './schema.ts';
import { readSection, withDefaults } from '../schema/section.ts';
import { child, failAt, isTable, root, type At } from '../schema/document.ts';
import type { AppConfig, ResourceSpec } from './types.ts';

export interface LoadConfigInput {
  /** Path of config.toml (relative paths resolve against the process cwd). */
  readonly file: string;
  /** For `${VAR}` expansion. Injected: the loader never reads process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Soft problems (skipped files, a check_cmd without {{ src }}), already prefixed with file:line. */
  readonly onWarning?: (message: string) => void;
  /** Backend kinds to validate against (default: the real registry, src/backends/registry.ts). */
  readonly registry?: BackendRegistry;
  /** `owner = "name"` → uid (default: /etc/passwd). */
  readonly lookupUser?: LookupUser;
  /** The main file's text, when it is not read from `file` (`keyplate confd` builds it from confd's flags). */
  readonly text?: string;
}

/** The real backend registry, looked up at call time (kinds are registered by other modules). */
export function defaultRegistry(): BackendRegistry {
  return { find: findBackendDefinition, kinds: () => backendDefinitions().map((d) => d.kind) };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function checkUniqueNames(resources: readonly ResourceSpec[]): void {
  const seen = new Map<string, ResourceSpec>();
  for (const r of resources) {
    const first = seen.get(r.name);
    if (first) {
      const where = `${first.origin.file}${first.origin.line ? `:${first.origin.line}` : ''}`;
      throw new ConfigError({ file: r.origin.file, line: r.origin.line, key: 'name' }, `resource name "${r.name}" is already used at ${where}; names must be unique`);
    }
    seen.set(r.name, r);
  }
}

export async function loadConfig(input: LoadConfigInput): Promise<AppConfig> {
  try {
    return await loadConfigOnce(input);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // a bad boolean or number that came from one ${VAR}: name the variable and its value
    const named: ConfigError[] = [];
    for (const one of configErrorsOf(e)) named.push(nameTheVariable(one, await readFile(one.file, 'utf8').catch(() => undefined), input.env));
    throw named.length === 1 ? named[0] : new ConfigErrors(named);
  }
}

/** The top-level keys that are well-formed, unknown ones ignored (they are already reported). */
function readLeniently(at: At, data: unknown) {
  try {
    return readSection(at, data, topSchema, { allowRest: true });
  } catch {
    return undefined;
  }
}

async function loadConfigOnce(input: LoadConfigInput): Promise<AppConfig> {
  const doc = await loadDoc(input.env, resolve(input.file), undefined, input.text);
  const at = root(doc);
  const errors = new ConfigErrorSink();
  // a mistake at the top (an unknown key) still lets the resources be checked
  const topRead = errors.run(() => readSection(at, doc.data, topSchema)) ?? readLeniently(at, doc.data);
  if (topRead === undefined) errors.throwIfAny();
  const top = withDefaults(at, topRead!.values, topSchema);
  const registry = input.registry ?? defaultRegistry();
  const ctx: LoadContext = {
    env: input.env,
    registry,
    lookupUser: input.lookupUser ?? passwdLookup(),
    warn: input.onWarning ?? (() => {}),
    // every resource builds on the defaults: a mistake there stops here (with the ones found so far)
    defaults: errors.run(() => readBackendTable(child(at, 'default_backends'), top.default_backends, registry)) ?? (errors.throwIfAny() as never),
    mainFile: doc.file,
  };
  // go on after a mistake: `check` reports every config error in one pass
  const resources: ResourceSpec[] = [];
  for (const [i, raw] of (top.resource ?? []).entries()) {
    const r = await errors.runAsync(() => buildResource(ctx, child(at, 'resource', i), raw));
    if (r) resources.push(r);
  }
  const includeDir = top.include_dir === undefined ? undefined : resolve(doc.dir, top.include_dir);
  if (includeDir) resources.push(...((await errors.runAsync(() => loadIncludeDir(ctx, includeDir, child(at, 'include_dir')))) ?? []));
  const confDir = top.confdir === undefined ? undefined : resolve(doc.dir, top.confdir);
  if (confDir) resources.push(...((await errors.runAsync(() => loadConfdDir(ctx, confDir, child(at, 'confdir')))) ?? []));
  if (resources.length === 0 && errors.size === 0) {
    throw new ConfigError({ file: doc.file }, 'no resources: add a [[resource]] block, include_dir or confdir');
  }
  errors.run(() => checkUniqueNames(resources));
  if (errors.size === 0) await errors.runAsync(() => checkUniqueDestinations(resources)); // names first: one clash, one error
  // [haproxy] names resources: with a broken resource, only a section that names none is checked
  const haproxyNames = isTable(top.haproxy) && 'resources' in top.haproxy;
  const haproxy = top.haproxy === undefined || (errors.size > 0 && haproxyNames) ? undefined : errors.run(() => buildHaproxy(child(at, 'haproxy'), top.haproxy, resources));
  const httpAt = child(at, 'http');
  const http = top.http === undefined ? undefined : errors.run(() => withDefaults(httpAt, readSection(httpAt, top.http, httpSchema).values, httpSchema));
  errors.throwIfAny();
  return deepFreeze({
    file: doc.file,
    logLevel: top.log_level,
    logFormat: top.log_format,
    pidFile: top.pid_file === undefined ? undefined : resolve(doc.dir, top.pid_file),
    includeDir,
    confDir,
    resources,
    haproxy,
    watchTemplates: top.watch_templates,
    http: http === undefined ? undefined : { listen: http.listen?.trim() || undefined, freshnessMs: http.freshness, ...httpAuth(httpAt, http.username, http.password) },
  });
}

/** `[http] username`/`password`: both or neither. */
function httpAuth(at: At, username: string | undefined, password: string | undefined): { auth?: { username: string; password: string } } {
  if (!username && !password) return {};
  if (!username || !password) throw failAt(child(at, username ? 'password' : 'username'), 'username and password go together (basic auth for the status page): set both or neither');
  return { auth: { username, password } };
}
