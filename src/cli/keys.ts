/** `keyplate keys`: print the normalized, prefix-stripped tree a template would see. */
import type { AppConfig } from '../config/types.ts';
import { type ExitCodeValue, ExitCode } from '../errors.ts';
import { mergeFeeds } from '../runner/merge.ts';
import { createRunner } from '../runner/runner.ts';
import { loadAppConfig, makeLogger, type CliIo, type GlobalFlags } from '../app.ts';
import { adHocBackends } from './render.ts';

export interface KeysFlags extends GlobalFlags {
  readonly backend?: string[];
  readonly prefix?: string;
  readonly keys?: string;
  readonly resource?: string[];
  readonly json?: boolean;
}

export async function keysCommand(io: CliIo, flags: KeysFlags, signal?: AbortSignal): Promise<ExitCodeValue> {
  const config: AppConfig = flags.backend?.length
    ? {
        file: '<command line>',
        logLevel: 'warn',
        logFormat: 'text',
        resources: [{ name: 'keys', templates: [], backends: adHocBackends(flags, io.env), reloadTimeoutMs: 0, debounce: { minMs: 0, maxMs: 0 }, origin: { file: '<command line>' } }],
      }
    : await loadAppConfig(flags, io);
  const logger = makeLogger(io, { ...flags, logLevel: flags.logLevel ?? 'warn' }, config);
  const runner = createRunner(config, { process: async () => Promise.reject(new Error('unused')), logger, env: io.env, fetch: io.fetch }, { noop: true, only: flags.resource });
  try {
    const out: Record<string, Record<string, string>> = {};
    for (const w of runner.workers) {
      for (const s of w.sources) await s.load(signal);
      const tree = mergeFeeds(w.sources, () => {});
      out[w.spec.name] = Object.fromEntries(tree.entries().map((p) => [p.key, p.value]));
    }
    const names = Object.keys(out);
    if (flags.json) {
      io.stdout.write(`${JSON.stringify(names.length === 1 ? out[names[0]] : out, null, 2)}\n`);
    } else {
      for (const name of names) {
        if (names.length > 1) io.stdout.write(`# resource ${name}\n`);
        for (const [k, v] of Object.entries(out[name])) io.stdout.write(`${k} = ${JSON.stringify(v)}\n`);
      }
    }
    return ExitCode.OK;
  } finally {
    await runner.close();
  }
}
