/**
 * The composition root: config → feeds → runner → pipeline → applier → status. Commands in cli/
 * parse flags and print; everything they run is assembled here. Side effects (env, fetch,
 * streams, signals) come in through CliIo.
 */
import type { Logger } from 'pino';
import type { AppConfig } from './config/types.ts';
import type { LogFormat } from './log.ts';
import { loadConfig } from './config/load.ts';
import { createCommandRunner } from './exec/run.ts';
import { createLogger } from './log.ts';
import { presetFunctions } from './presets/functions.ts';
import type { HaproxyApplier } from './haproxy/applier.ts';
import { cleanAllLeftovers } from './pipeline/leftovers.ts';
import { processResource, RejectedRenders } from './pipeline/process.ts';
import { createTemplateEngine, defaultCompiledStore, SkipLedger, type TemplateEngine } from './template/index.ts';
import type { ProcessFn } from './runner/resource-loop.ts';
import { baseDirOf, createFeeds, createRunner, selectResources, type RunSummary } from './runner/runner.ts';
import { mergeFeeds } from './runner/merge.ts';
import { followTemplates } from './runner/template-watch.ts';
import type { KeyTree } from './tree/key-tree.ts';
import { errorMessage, ExitCode, exitCodeOf, type ExitCodeValue } from './errors.ts';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof globalThis.fetch;
  readonly cwd?: string;
  /** keyplate's cache directory (compiled templates), chosen by the built loader; none from the sources. */
  readonly cacheDir?: string;
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
  const preset = presetFunctions();
  // one log line per value a template newly refuses (not one per render)
  const skips = new SkipLedger({ onNew: (s) => logger.warn({ event: 'skipped', resource: s.resource, item: s.item, reason: s.reason }, `skipped: ${s.detail ?? s.reason}`) });
  return createTemplateEngine({ env: io.env, globals: preset.globals, treeGlobals: preset.treeGlobals, skips, compiled: io.cacheDir === undefined ? undefined : defaultCompiledStore(io.cacheDir) });
}

/**
 * The pipeline bound to an engine, a command runner and a logger. `checkCopies` (the dry run of
 * `check --render`): with noop, every check_cmd runs on a temporary copy of its render.
 */
export function makeProcess(engine: TemplateEngine, logger: Logger, io: CliIo, host?: HaproxyApplier, opts: { checkCopies?: boolean } = {}): ProcessFn {
  const run = createCommandRunner({ logger, env: io.env });
  const rejected = new RejectedRenders();
  return (spec, tree, o) =>
    processResource(
      {
        render: (t) => engine.renderFile(t.src, { resource: spec.name, tree, vars: { vars: spec.vars ?? {} }, missingKeys: spec.missingKeys === 'empty' ? 'empty' : 'error', allowMultiline: spec.allowMultilineValues, signal: o.signal, engine: t.engine }),
        run,
        logger,
        applier: host?.serves(spec.name) ? host : undefined,
      },
      spec,
      { ...o, rejected, checkCopies: opts.checkCopies },
    );
}

export interface PassOptions {
  readonly noop: boolean;
  /** With noop (check --render): every check_cmd runs on a temporary copy of its render. */
  readonly checkCopies?: boolean;
  readonly only?: readonly string[];
  readonly intervalMs?: number;
  /** `run --allow-empty`: the first install of each resource skips the data guard. */
  readonly allowEmpty?: boolean;
}

/** Every resource once through the pipeline (run --onetime, check --render, render). */
/** A keyplate killed mid-pass may have left a check_cmd running and stage files: end and remove them first (never with noop). */
async function cleanUpAfterKilled(config: AppConfig, opts: PassOptions, logger: Logger, signal?: AbortSignal): Promise<void> {
  if (!opts.noop) await cleanAllLeftovers(config.resources.filter((r) => !opts.only || opts.only.includes(r.name)), logger, signal);
}

export async function renderOnce(config: AppConfig, logger: Logger, io: CliIo, opts: PassOptions, signal?: AbortSignal): Promise<RunSummary> {
  await cleanUpAfterKilled(config, opts, logger, signal);
  const process = makeProcess(makeEngine(io, logger), logger, io, undefined, { checkCopies: opts.checkCopies });
  const runner = createRunner(config, { process, logger, env: io.env, fetch: io.fetch }, opts);
  try {
    return await runner.runOnce(signal);
  } finally {
    await runner.close();
  }
}

/** The merged, prefix-stripped tree each resource's templates would see, read once from its backends. */
export async function readTrees(config: AppConfig, logger: Logger, io: CliIo, only?: readonly string[], signal?: AbortSignal): Promise<Map<string, KeyTree>> {
  const out = new Map<string, KeyTree>();
  for (const spec of selectResources(config, only)) {
    const feeds = createFeeds(spec, { logger: logger.child({ resource: spec.name }), env: io.env, fetch: io.fetch, baseDir: baseDirOf(config) });
    try {
      for (const f of feeds) await f.load(signal);
      out.set(spec.name, mergeFeeds(feeds, () => {}));
    } finally {
      await Promise.all(feeds.map((f) => f.backend.close().catch(() => {})));
    }
  }
  return out;
}

export interface DaemonOptions extends PassOptions {
  /** Address of the status listener, or none. */
  readonly listen?: string;
  /** Re-read the config on SIGHUP (through `io.onSignal`). */
  readonly reload: () => Promise<AppConfig>;
}

/**
 * The daemon: HAProxy (when configured), the runner, the status listener, SIGHUP config reloads.
 * Resolves with the exit code once `signal` aborts and everything drained.
 */
export async function serve(config: AppConfig, logger: Logger, io: CliIo, opts: DaemonOptions, signal?: AbortSignal): Promise<ExitCodeValue> {
  const engine = makeEngine(io, logger);
  await cleanUpAfterKilled(config, opts, logger, signal);
  const names = config.resources.map((r) => r.name);
  // HAProxy supervision and the status listener load only when used: start-up time matters.
  const host: HaproxyApplier | undefined =
    config.haproxy && !opts.noop ? new (await import('./haproxy/applier.ts')).HaproxyApplier(config.haproxy, names, { logger, env: io.env, logOutput: io.stdout }) : undefined;
  const stop = new AbortController();
  const observing = opts.listen ? await import('./status/observe.ts') : undefined;
  let fatal: unknown;
  const die = (e: unknown) => {
    fatal ??= e;
    logger.fatal({ err: errorMessage(e) }, 'stopping');
    stop.abort(e);
  };
  signal?.addEventListener('abort', () => stop.abort(signal.reason), { once: true });
  const runner = createRunner(
    config,
    {
      process: makeProcess(engine, logger, io, host),
      logger,
      env: io.env,
      fetch: io.fetch,
      onCycle: (o) => {
        observed?.observe(o);
        if (o.ok && host?.serves(o.resource)) host.resourceReady(o.resource, stop.signal).catch(die);
      },
    },
    opts,
  );
  // onCycle only fires once the runner runs, so it may use `observed` defined after the runner.
  const observed = observing?.createObservability({ config, engine, status: () => runner.status(), host, logger });
  host?.closed.catch(die);
  if (opts.listen && observed) await observed.listen(opts.listen, stop.signal);
  // live template edits; on SIGHUP, unchanged resources whose templates changed render again
  const templates = await followTemplates(runner, { logger, watch: config.watchTemplates !== false });
  let reloading = Promise.resolve();
  let current = config;
  const offHup = io.onSignal?.('SIGHUP', () => {
    reloading = reloading.then(async () => {
      current = (await reloadConfig(logger, engine, current, opts.reload, (c) => templates.reconfigure(c))) ?? current;
    });
  });
  // a daemon lives until it is stopped, even when nothing else holds the event loop (an offline
  // backend's watch, no HAProxy yet): without this, node exits with 13 (unsettled top-level await)
  const keepAlive = setInterval(() => {}, 2 ** 30);
  try {
    await runner.start(stop.signal);
  } finally {
    clearInterval(keepAlive);
    templates.close();
    offHup?.();
    await reloading;
    await host?.stop().catch((e) => logger.error({ event: 'haproxy-stop-failed', err: errorMessage(e) }, 'stopping HAProxy failed'));
  }
  logger.info({ event: 'stopped' }, 'stopped');
  return fatal === undefined ? ExitCode.OK : exitCodeOf(fatal);
}

const withoutOrigin = (v: unknown) => JSON.stringify(v ?? null, (k, x) => (k === 'origin' ? undefined : x));

/** SIGHUP: validate the whole new config (and compile every template) and build its loops before swapping; a bad one changes nothing. */
async function reloadConfig(
  logger: Logger,
  engine: TemplateEngine,
  current: AppConfig,
  load: () => Promise<AppConfig>,
  reconfigure: (next: AppConfig) => Promise<unknown>,
): Promise<AppConfig | undefined> {
  logger.info({ event: 'config-reloading' }, 'SIGHUP: re-reading the configuration');
  try {
    const next = await load();
    for (const res of next.resources) for (const t of res.templates) engine.compileFile(t.src, res.name, t.engine);
    if (withoutOrigin(next.haproxy) !== withoutOrigin(current.haproxy)) {
      logger.warn({ event: 'config-restart-needed' }, 'the [haproxy] section changed: restart keyplate to apply it (the resources of the new config are applied now)');
    }
    const summary = await reconfigure(next);
    logger.info({ event: 'config-reloaded', ...(summary as object) }, 'configuration reloaded');
    return next;
  } catch (e) {
    logger.error({ event: 'config-reload-refused', err: errorMessage(e) }, 'config reload refused: the new configuration is invalid; still running the previous one');
    return undefined;
  }
}
