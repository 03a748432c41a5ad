/**
 * loadConfig(): the main TOML file (remco schema, plus `confdir` for the confd layout) →
 * validated, normalized, frozen AppConfig. Every problem is a ConfigError (exit code 3) naming
 * the file, line and key path; soft problems go to `onWarning`.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { nameTheVariable } from './env-vars.ts';
import { backendDefinitions, findBackendDefinition } from '../backends/registry.ts';
import { ConfigError } from '../errors.ts';
import { readBackendTable, type BackendRegistry } from './backend.ts';
import { loadConfdDir } from './confd.ts';
import { loadDoc, type LoadContext } from './context.ts';
import type { Env } from './expand.ts';
import { buildHaproxy } from './haproxy.ts';
import { loadIncludeDir } from './include.ts';
import { passwdLookup, type LookupUser } from './owner.ts';
import { buildResource } from './resource.ts';
import { checkUniqueDestinations } from './destinations.ts';
import { httpSchema, topSchema } from './schema.ts';
import { readSection, withDefaults } from '../schema/section.ts';
import { child, failAt, root, type At } from '../schema/document.ts';
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
    const text = await readFile(e.file, 'utf8').catch(() => undefined);
    throw nameTheVariable(e, text, input.env);
  }
}

async function loadConfigOnce(input: LoadConfigInput): Promise<AppConfig> {
  const doc = await loadDoc(input.env, resolve(input.file));
  const at = root(doc);
  const top = withDefaults(at, readSection(at, doc.data, topSchema).values, topSchema);
  const registry = input.registry ?? defaultRegistry();
  const ctx: LoadContext = {
    env: input.env,
    registry,
    lookupUser: input.lookupUser ?? passwdLookup(),
    warn: input.onWarning ?? (() => {}),
    defaults: readBackendTable(child(at, 'default_backends'), top.default_backends, registry),
    mainFile: doc.file,
  };
  const resources: ResourceSpec[] = [];
  for (const [i, raw] of (top.resource ?? []).entries()) {
    resources.push(await buildResource(ctx, child(at, 'resource', i), raw));
  }
  const includeDir = top.include_dir === undefined ? undefined : resolve(doc.dir, top.include_dir);
  if (includeDir) resources.push(...(await loadIncludeDir(ctx, includeDir, child(at, 'include_dir'))));
  const confDir = top.confdir === undefined ? undefined : resolve(doc.dir, top.confdir);
  if (confDir) resources.push(...(await loadConfdDir(ctx, confDir, child(at, 'confdir'))));
  if (resources.length === 0) {
    throw new ConfigError({ file: doc.file }, 'no resources: add a [[resource]] block, include_dir or confdir');
  }
  checkUniqueNames(resources);
  await checkUniqueDestinations(resources);
  const haproxy = top.haproxy === undefined ? undefined : buildHaproxy(child(at, 'haproxy'), top.haproxy, resources);
  const httpAt = child(at, 'http');
  const http = top.http === undefined ? undefined : withDefaults(httpAt, readSection(httpAt, top.http, httpSchema).values, httpSchema);
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
