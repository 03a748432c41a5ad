/**
 * `keyplate run`: the daemon (watch/interval, and the supervised HAProxy when `[haproxy]` is
 * configured) or, with --onetime, one pass with a summary.
 */
import { rm, writeFile } from 'node:fs/promises';
import { errorMessage, ExitCode, exitCodeOf, type ExitCodeValue } from '../errors.ts';
import type { HaproxyApplier } from '../haproxy/applier.ts';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/types.ts';
import { createRunner, type ReconfigureSummary, type RunSummary } from '../runner/runner.ts';
import type { TemplateEngine } from '../template/index.ts';
import { loadAppConfig, loadWithLogger, makeEngine, makeProcess, type CliIo, type GlobalFlags } from '../app.ts';

export interface RunFlags extends GlobalFlags {
  readonly onetime?: boolean;
  readonly noop?: boolean;
  readonly interval?: number;
  readonly resource?: string[];
  readonly listen?: string;
}

export async function runCommand(io: CliIo, flags: RunFlags, signal?: AbortSignal): Promise<ExitCodeValue> {
  const { config, logger } = await loadWithLogger(flags, io);
  const engine = makeEngine(io, logger);
  const names = config.resources.map((r) => r.name);
  // HAProxy supervision and the status listener load only when used: start-up time matters.
  const host: HaproxyApplier | undefined =
    config.haproxy && !flags.onetime && !flags.noop ? new (await import('../haproxy/applier.ts')).HaproxyApplier(config.haproxy, names, { logger, env: io.env }) : undefined;
  const stop = new AbortController();
  // --listen, else [http] listen, else KEYPLATE_LISTEN (the image sets it, so any mounted config gets /healthz)
  const listen = flags.onetime ? undefined : (flags.listen ?? config.http?.listen ?? (io.env.KEYPLATE_LISTEN?.trim() || undefined));
  const status = listen ? await import('../status/index.ts') : undefined;
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
        metrics?.observeCycle(o);
        if (o.ok && host?.serves(o.resource)) host.resourceReady(o.resource, stop.signal).catch(die);
      },
    },
    { noop: flags.noop ?? false, intervalMs: flags.interval !== undefined ? flags.interval * 1000 : undefined, only: flags.resource },
  );
  // onCycle only fires once the runner runs, so it may use `metrics` defined after the runner.
  const metrics = status?.createMetrics({ status: () => runner.status(), haproxy: () => host?.controller });
  if (flags.onetime) {
    try {
      const summary = await runner.runOnce(signal);
      io.stderr.write(formatSummary(summary));
      return summary.exitCode;
    } finally {
      await runner.close();
    }
  }
  host?.closed.catch(die);
  if (listen && status && metrics) {
    const freshnessMs = config.http?.freshnessMs ?? 60_000;
    const { healthReport } = status;
    await status.startStatusServer({
      listen,
      signal: stop.signal,
      logger: logger.child({ component: 'http' }),
      health: () => healthReport(runner.status(), Date.now(), { freshnessMs }),
      metrics: () => metrics.metricsText(),
      contentType: metrics.contentType,
    });
  }
  let reloading = Promise.resolve();
  let current = config;
  const offHup = io.onSignal?.('SIGHUP', () => {
    reloading = reloading.then(async () => {
      current = (await reloadConfig({ io, flags, logger, engine, current, reconfigure: (c) => runner.reconfigure(c) })) ?? current;
    });
  });
  if (config.pidFile) await writeFile(config.pidFile, `${process.pid}\n`, { mode: 0o644 });
  // a daemon lives until it is stopped, even when nothing else holds the event loop (an offline
  // backend's watch, no HAProxy yet): without this, node exits with 13 (unsettled top-level await)
  const keepAlive = setInterval(() => {}, 2 ** 30);
  try {
    await runner.start(stop.signal);
  } finally {
    clearInterval(keepAlive);
    offHup?.();
    await reloading;
    await host?.stop().catch((e) => logger.error({ event: 'haproxy-stop-failed', err: errorMessage(e) }, 'stopping HAProxy failed'));
    if (config.pidFile) await rm(config.pidFile, { force: true });
  }
  logger.info({ event: 'stopped' }, 'stopped');
  return fatal === undefined ? ExitCode.OK : exitCodeOf(fatal);
}

interface ReloadInput {
  readonly io: CliIo;
  readonly flags: RunFlags;
  readonly logger: Logger;
  readonly engine: TemplateEngine;
  readonly current: AppConfig;
  readonly reconfigure: (next: AppConfig) => Promise<ReconfigureSummary>;
}

/** SIGHUP: validate the whole new config (and compile every template) and build its loops before swapping; a bad one changes nothing. */
async function reloadConfig(r: ReloadInput): Promise<AppConfig | undefined> {
  r.logger.info({ event: 'config-reloading' }, 'SIGHUP: re-reading the configuration');
  try {
    const next = await loadAppConfig(r.flags, r.io, (w) => r.logger.warn(w));
    for (const res of next.resources) for (const t of res.templates) r.engine.compileFile(t.src, res.name);
    if (JSON.stringify(next.haproxy ?? null, (k, v) => (k === 'origin' ? undefined : v)) !== JSON.stringify(r.current.haproxy ?? null, (k, v) => (k === 'origin' ? undefined : v))) {
      r.logger.warn({ event: 'config-restart-needed' }, 'the [haproxy] section changed: restart keyplate to apply it (the resources of the new config are applied now)');
    }
    const summary = await r.reconfigure(next);
    r.logger.info({ event: 'config-reloaded', ...summary }, 'configuration reloaded');
    return next;
  } catch (e) {
    r.logger.error({ event: 'config-reload-refused', err: errorMessage(e) }, 'config reload refused: the new configuration is invalid; still running the previous one');
    return undefined;
  }
}

export function formatSummary(summary: RunSummary): string {
  const lines = summary.resources.map((r) => {
    if (!r.ok) return `  ${r.resource}: FAILED (exit ${r.exitCode}) ${r.error ?? ''}`;
    if (r.changed) return `  ${r.resource}: updated`;
    if (r.wouldChange) return `  ${r.resource}: would change (noop)`;
    return `  ${r.resource}: in sync`;
  });
  const failed = summary.resources.filter((r) => !r.ok).length;
  return `keyplate: ${summary.resources.length - failed} ok, ${failed} failed\n${lines.join('\n')}\n`;
}
