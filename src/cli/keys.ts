/** `keyplate keys`: print the normalized, prefix-stripped tree a template would see. */
import { type ExitCodeValue, ExitCode } from '../errors.ts';
import { loadAppConfig, makeLogger, readTrees, type CliIo, type GlobalFlags } from '../app.ts';
import { adHocConfig, type AdHocFlags } from './adhoc.ts';

export interface KeysFlags extends GlobalFlags, AdHocFlags {
  readonly resource?: string[];
  readonly json?: boolean;
}

export async function keysCommand(io: CliIo, flags: KeysFlags, signal?: AbortSignal): Promise<ExitCodeValue> {
  const config = flags.backend?.length ? adHocConfig('keys', flags, io.env) : await loadAppConfig(flags, io);
  const logger = makeLogger(io, { ...flags, logLevel: flags.logLevel ?? 'warn' }, config);
  const trees = await readTrees(config, logger, io, flags.backend?.length ? undefined : flags.resource, signal);
  const out = Object.fromEntries([...trees].map(([name, tree]) => [name, Object.fromEntries(tree.entries().map((p) => [p.key, p.value]))]));
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
}
