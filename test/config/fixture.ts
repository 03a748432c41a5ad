/** Helpers for config tests: write a config tree into a temp dir, assert on ConfigErrors. */
import * as assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import type { BackendDefinition } from '../../src/backends/contract.ts';
import type { BackendRegistry } from '../../src/config/backend.ts';
import { defaultRegistry, loadConfig, type LoadConfigInput } from '../../src/config/load.ts';
import type { AppConfig } from '../../src/config/types.ts';
import { ConfigError, ExitCode } from '../../src/errors.ts';
import { tempDir } from '../helpers/tmp.ts';

/** Write `files` (relative path → content) under a fresh temp dir; returns the dir. */
export async function writeTree(t: Pick<TestContext, 'after'>, files: Readonly<Record<string, string>>): Promise<string> {
  const dir = await tempDir(t, 'keyplate-config');
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), content);
  }
  return dir;
}

/**
 * The real registry, plus test-only definitions for kinds it does not (yet) have — e.g. `etcd`
 * while its definition is being written. A real definition always wins over a fake one.
 */
export function registryWith(...extra: readonly BackendDefinition[]): BackendRegistry {
  const real = defaultRegistry();
  return {
    find: (kind) => real.find(kind) ?? extra.find((d) => d.kind === kind),
    kinds: () => [...new Set([...real.kinds(), ...extra.map((d) => d.kind)])],
  };
}

/** A stand-in etcd definition with remco's etcd options (only used when the real one is missing). */
export const fakeEtcd: BackendDefinition = {
  kind: 'etcd',
  description: 'test stand-in',
  options: {
    title: '[resource.backend.etcd]',
    keys: {
      nodes: { type: 'string[]', description: 'endpoints' },
      username: { type: 'string', description: 'user' },
      password: { type: 'string', description: 'password', secret: true },
      version: { type: 'integer', description: 'api level' },
    },
  },
  finish: (values) => values,
  create() {
    throw new Error('fake etcd: not for use');
  },
};

export interface Loaded {
  readonly config: AppConfig;
  readonly warnings: readonly string[];
}

export async function load(dir: string, env: LoadConfigInput['env'] = {}, extra: Partial<LoadConfigInput> = {}): Promise<Loaded> {
  const warnings: string[] = [];
  const config = await loadConfig({
    file: join(dir, 'config.toml'),
    env,
    onWarning: (w) => warnings.push(w),
    registry: registryWith(fakeEtcd),
    ...extra,
  });
  return { config, warnings };
}

export interface Expected {
  readonly file?: string;
  readonly line?: number;
  readonly key?: string;
  /** Substrings the message must contain. */
  readonly includes?: readonly string[];
}

/** Await a rejection and check it is a ConfigError (exit code 3) pointing where expected. */
export async function rejectsConfig(p: Promise<unknown>, want: Expected): Promise<ConfigError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.equal(caught.exitCode, ExitCode.CONFIG);
  assert.equal(caught.exitCode, 3);
  if (want.file !== undefined) assert.equal(caught.file, want.file);
  if (want.line !== undefined) {
    assert.equal(caught.line, want.line, `line of: ${caught.message}`);
    assert.ok(caught.message.startsWith(`${caught.file}:${want.line}`), caught.message);
  }
  if (want.key !== undefined) assert.equal(caught.key, want.key, caught.message);
  for (const s of want.includes ?? []) assert.ok(caught.message.includes(s), `"${s}" not in: ${caught.message}`);
  return caught;
}

/** A minimal valid resource using the env backend, for tests that vary one thing. */
export function envResource(extraTemplate = '', extraResource = ''): string {
  return [
    '[[resource]]',
    'name = "app"',
    extraResource,
    '[[resource.template]]',
    'src = "t.tmpl"',
    'dst = "out/app.conf"',
    extraTemplate,
    '[resource.backend.env]',
    'keys = ["/app"]',
    '',
  ].join('\n');
}
