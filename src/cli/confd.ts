/**
 * `keyplate confd [flags]`: confd's command line. The flags (and `-config-file`) become a keyplate
 * config with `confdir` (confd-flags.ts), loaded and run like `keyplate run`: `-onetime` is one
 * pass with a summary, otherwise the daemon (SIGHUP re-reads conf.d). `-sync-only` drops every
 * check_cmd and reload_cmd; `-keep-stage-file` keeps every stage file.
 */
import { resolve } from 'node:path';
import type { ExitCodeValue } from '../errors.ts';
import type { AppConfig } from '../config/types.ts';
import { loadConfig } from '../config/load.ts';
import { makeLogger, renderOnce, serve, type CliIo } from '../app.ts';
import { confdConfigText, confdSettings, type ConfdFlags, type ConfdSettings } from './confd-flags.ts';
import { formatSummary } from './summary.ts';

function adjust(config: AppConfig, s: ConfdSettings): AppConfig {
  if (!s.syncOnly && !s.keepStageFile) return config;
  return {
    ...config,
    resources: config.resources.map((r) => ({
      ...r,
      ...(s.syncOnly ? { reloadCmd: undefined } : {}),
      templates: r.templates.map((t) => ({
        ...t,
        ...(s.syncOnly ? { checkCmd: undefined, reloadCmd: undefined } : {}),
        ...(s.keepStageFile ? { keepStageFile: true } : {}),
      })),
    })),
  };
}

export async function confdCommand(io: CliIo, flags: ConfdFlags, signal?: AbortSignal): Promise<ExitCodeValue> {
  const cwd = io.cwd ?? process.cwd();
  const settings = await confdSettings(flags, cwd);
  const text = confdConfigText(settings);
  // Named after what it came from, so a message about it points at the flags.
  const file = resolve(cwd, '(keyplate confd flags)');
  const load = async (onWarning?: (w: string) => void) => adjust(await loadConfig({ file, text, env: io.env, onWarning }), settings);
  const warnings: string[] = [];
  const config = await load((w) => warnings.push(w));
  const logger = makeLogger(io, { logLevel: settings.logLevel });
  for (const w of warnings) logger.warn(w);
  const pass = { noop: settings.noop, intervalMs: settings.watch ? undefined : settings.intervalSeconds * 1000 };
  if (settings.onetime) {
    const summary = await renderOnce(config, logger, io, pass, signal);
    io.stderr.write(formatSummary(summary));
    return summary.exitCode;
  }
  const listen = io.env.KEYPLATE_LISTEN?.trim() || undefined;
  return serve(config, logger, io, { ...pass, listen, reload: () => load((w) => logger.warn(w)) }, signal);
}
