/**
 * `keyplate run`: the daemon (watch/interval, and the supervised HAProxy when `[haproxy]` is
 * configured) or, with --onetime, one pass with a summary.
 */
import { rm, writeFile } from 'node:fs/promises';
import type { ExitCodeValue } from '../errors.ts';
import { loadAppConfig, loadWithLogger, renderOnce, serve, type CliIo, type GlobalFlags } from '../app.ts';
import { formatSummary } from './summary.ts';

export interface RunFlags extends GlobalFlags {
  readonly onetime?: boolean;
  readonly noop?: boolean;
  readonly interval?: number;
  readonly resource?: string[];
  readonly listen?: string;
  readonly allowEmpty?: boolean;
}

export async function runCommand(io: CliIo, flags: RunFlags, signal?: AbortSignal): Promise<ExitCodeValue> {
  const { config, logger } = await loadWithLogger(flags, io);
  const pass = { noop: flags.noop ?? false, intervalMs: flags.interval !== undefined ? flags.interval * 1000 : undefined, only: flags.resource, allowEmpty: flags.allowEmpty ?? false };
  if (flags.onetime) {
    const summary = await renderOnce(config, logger, io, pass, signal);
    io.stderr.write(formatSummary(summary));
    return summary.exitCode;
  }
  // --listen, else [http] listen, else KEYPLATE_LISTEN (the image sets it, so any mounted config gets /healthz)
  const listen = flags.listen ?? config.http?.listen ?? (io.env.KEYPLATE_LISTEN?.trim() || undefined);
  if (config.pidFile) await writeFile(config.pidFile, `${process.pid}\n`, { mode: 0o644 });
  try {
    return await serve(config, logger, io, { ...pass, listen, reload: () => loadAppConfig(flags, io, (w) => logger.warn(w)) }, signal);
  } finally {
    if (config.pidFile) await rm(config.pidFile, { force: true });
  }
}
