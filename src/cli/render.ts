/**
 * `keyplate render`: print what each resource would install (or a diff against its destination),
 * touching nothing. With a TEMPLATE argument it renders ad hoc from `--backend` URIs.
 */
import { DIFFERENCES_EXIT, ExitCode, type ExitCodeValue } from '../errors.ts';
import { unifiedDiff } from '../pipeline/diff.ts';
import { loadAppConfig, makeLogger, renderOnce, type CliIo, type GlobalFlags } from '../app.ts';
import { adHocConfig, type AdHocFlags } from './adhoc.ts';

export interface RenderFlags extends GlobalFlags, AdHocFlags {
  readonly template?: string;
  readonly resource?: string[];
  readonly diff?: boolean;
  /** Exit 1 when a destination would change (and nothing failed), like `git diff --exit-code`. */
  readonly exitCode?: boolean;
}

export async function renderCommand(io: CliIo, flags: RenderFlags, signal?: AbortSignal): Promise<ExitCodeValue> {
  const cwd = io.cwd ?? process.cwd();
  const warnings: string[] = [];
  const config = flags.template ? adHocConfig('adhoc', flags, io.env, { path: flags.template, cwd }) : await loadAppConfig(flags, io, (w) => warnings.push(w));
  const logger = makeLogger(io, { ...flags, logLevel: flags.logLevel ?? 'warn' }, config);
  for (const w of warnings) logger.warn(w);
  const summary = await renderOnce(config, logger, io, { noop: true, only: flags.resource }, signal);
  let differences = false;
  for (const r of summary.resources) {
    if (!r.ok) {
      io.stderr.write(`keyplate: ${r.error}\n`);
      continue;
    }
    for (const t of r.result!.templates) {
      if (flags.diff && !flags.template) {
        const d = await unifiedDiff(t.template.dst, t.contents);
        if (d) differences = true;
        io.stdout.write(d);
        if (!d) io.stderr.write(`# ${t.template.dst}: no changes\n`);
      } else {
        if (t.wouldChange && !flags.template) differences = true;
        if (!flags.template) io.stderr.write(`# resource ${r.resource} -> ${t.template.dst}\n`);
        io.stdout.write(t.contents);
      }
    }
  }
  if (summary.exitCode !== ExitCode.OK) return summary.exitCode;
  return flags.exitCode && differences ? DIFFERENCES_EXIT : ExitCode.OK;
}
