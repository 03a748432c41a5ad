/**
 * The only place that lists the backend kinds. Definitions are cheap to import: a backend that
 * needs a heavy client (etcd3/gRPC) loads it lazily on first use.
 */
import { ConfigError } from '../errors.ts';
import { envBackend } from './env.ts';
import { etcdBackend } from './etcd/backend.ts';
import { fileBackend } from './file.ts';
import { memoryBackend } from './memory.ts';
import { rancherBackend } from './rancher/backend.ts';
import { redisBackend } from './redis/backend.ts';
import { natsBackend } from './nats/backend.ts';
import { zookeeperBackend } from './zookeeper/backend.ts';
import type { TomlTable } from '../schema/document.ts';
import type { Backend, BackendContext, BackendDefinition, BackendKind } from './contract.ts';
import { parseOptions } from './options.ts';

const definitions: readonly BackendDefinition[] = [envBackend, etcdBackend, fileBackend, memoryBackend, rancherBackend, redisBackend, natsBackend, zookeeperBackend];

export function backendKinds(): readonly BackendKind[] {
  return definitions.map((d) => d.kind);
}

export function findBackendDefinition(kind: string): BackendDefinition | undefined {
  return definitions.find((d) => d.kind === kind);
}

export function backendDefinitions(): readonly BackendDefinition[] {
  return definitions;
}

/** Create a backend from options `finishOptions` produced (the loader's `BackendSpec.options`). */
export function createBackend(kind: BackendKind, name: string, options: unknown, ctx: BackendContext): Backend {
  const def = findBackendDefinition(kind);
  if (!def) throw new ConfigError({ file: '<backend>', key: kind }, `unknown backend kind "${kind}"`);
  return def.create(name, options, ctx);
}

/** Create a backend from options as they would be written in TOML (tests, embedding). */
export function openBackend(kind: BackendKind, name: string, raw: TomlTable, ctx: BackendContext): Backend {
  const def = findBackendDefinition(kind);
  if (!def) throw new ConfigError({ file: '<backend>', key: kind }, `unknown backend kind "${kind}"`);
  return def.create(name, parseOptions(def, raw, `<backend ${name}>`, ctx.env, ctx.baseDir), ctx);
}
