/**
 * Wiring shared by the commands: the logger, the template engine, the command runner and the
 * pipeline bound to them. Side effects (env, fetch, streams) come in through CliIo.
 */
import type { Logger } from 'pino';
import type { AppConfig } from './config/types.ts';
import type { LogFormat } from './log.ts';
import { loadConfig } from './config/load.ts';
import { createCommandRunner } from './exec/run.ts';
import { createLogger } from './log.ts';
import { presetFunctions } from './presets/functions.ts';
import type { HaproxyApplier } from './haproxy/applier.ts';
import { processResource, RejectedRenders } from './pipeline/process.ts';
import { createTemplateEngine, type TemplateEngine } from './template/index.ts';
import type { ProcessFn } from './runner/resource-loop.ts';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof globalThis.fetch;
  readonly cwd?: string;
  /** Subscribe to a process signal (SIGHUP reloads the config); returns the unsubscribe. */
  readonly onSignal?: (signal: 'SIGHUP', listener: () => void) => () => void;
}

export interface GlobalFlags {
  readonly config?: string;
  readonly logLevel?: string;
  readonly logFormat?: string;
}

export const DEFAULT_CONFIG = '/etc/keyplate/config.toml';

export function configPath(flags: GlobalFlags, io: CliIo): string {
  return flags.config ?? io.env.KEYPLATE_CONFIG ?? DEFAULT_CONFIG;
}

export function makeLogger(io: CliIo, flags: GlobalFlags, config?: AppConfig): Logger {
  const format = (flags.logFormat ?? config?.logFormat ?? 'text') as LogFormat;
  return createLogger({ level: flags.logLevel ?? config?.logLevel ?? 'info', format, destination: io.stderr });
}

export async function loadAppConfig(flags: GlobalFlags, io: CliIo, onWarning?: (msg: string) => void): Promise<AppConfig> {
  return loadConfig({ file: configPath(flags, io), env: io.env, onWarning });
}

/** Load the config, then make the logger it asks for and log the loader's warnings with it. */
export async function loadWithLogger(flags: GlobalFlags, io: CliIo): Promise<{ config: AppConfig; logger: Logger }> {
  const warnings: string[] = [];
  const config = await loadAppConfig(flags, io, (w) => warnings.push(w));
  const logger = makeLogger(io, flags, config);
  for (const w of warnings) logger.warn(w);
  return { config, logger };
}

export function makeEngine(io: CliIo, logger: Logger): TemplateEngine {
  const preset = presetFunctions(logger);
  return createTemplateEngine({ env: io.env, globals: preset.globals, treeGlobals: preset.treeGlobals });
}

/** The pipeline bound to an engine, a command runner and a logger. */
export function makeProcess(engine: TemplateEngine, logger: Logger, io: CliIo, host?: HaproxyApplier): ProcessFn {
  const run = createCommandRunner({ logger, env: io.env });
  const rejected = new RejectedRenders();
  return (spec, tree, opts) =>
    processResource(
      {
        render: (t) => engine.renderFile(t.src, { resource: spec.name, tree, vars: { vars: spec.vars ?? {} }, missingKeys: spec.missingKeys === 'empty' ? 'empty' : 'error', signal: opts.signal }),
        run,
        logger,
        applier: host?.serves(spec.name) ? host : undefined,
      },
      spec,
      { ...opts, rejected },
    );
}
