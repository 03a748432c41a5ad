/**
 * The commit half of the pipeline: install every changed file, run the reload commands, and on a
 * failed reload put every previous file back (kept in memory, so no backup file is ever left
 * behind) and run the reloads again.
 */
import type { Logger } from 'pino';
import type { ResourceSpec, TemplateSpec } from '../config/types.ts';
import type { CommandSpec } from '../exec/command.ts';
import { ResourceError, errorMessage } from '../errors.ts';
import { describeOutcome, outputTail, succeeded, type CommandResult, type CommandRunner } from '../exec/run.ts';
import {
  atomicReplace,
  removeFile,
  stageFile,
  type FileSnapshot,
  type RenameFn,
  type ReplaceMethod,
  type StagedFile,
} from './files.ts';
import { CommandStepError, type RollbackReport } from './step-error.ts';

/** A template whose render differs from its destination, staged and ready to install. */
export interface ChangedFile {
  readonly template: TemplateSpec;
  readonly staged: StagedFile;
  /** The destination as it was before (null: there was none). */
  readonly previous: FileSnapshot | null;
}

/** Makes a consumer follow new files itself (the supervised HAProxy): install runs inside its queue. */
export interface Applier {
  apply(install: () => Promise<void>): Promise<ApplierResult>;
}

export interface ApplierResult {
  readonly ok: boolean;
  /** runtime | reload | none | start */
  readonly method: string;
  /** Why it failed (HAProxy's own message), or what it did. */
  readonly message: string;
}

export interface CommitDeps {
  readonly run: CommandRunner;
  readonly logger: Logger;
  readonly rename?: RenameFn;
  /** When set, install + reload go through it; a refusal restores every previous file. */
  readonly applier?: Applier;
}

/** One reload command to run: a template's, or the resource's (template undefined). */
interface ReloadJob {
  readonly cmd: CommandSpec;
  readonly timeoutMs: number;
  readonly vars: Readonly<Record<string, string>>;
  readonly template?: TemplateSpec;
}

/** Outcome of a successful commit: reload results by destination, plus the resource-level one. */
export interface CommitResult {
  readonly reloads: ReadonlyMap<string, CommandResult>;
  readonly resourceReload?: CommandResult;
}

/**
 * Install all changed files. If one install fails, the files already installed are restored, the
 * remaining stage files removed, and ResourceError step 'install' thrown.
 */
export async function installAll(deps: CommitDeps, spec: ResourceSpec, changed: readonly ChangedFile[]): Promise<void> {
  for (let i = 0; i < changed.length; i++) {
    const c = changed[i];
    let method: ReplaceMethod;
    try {
      method = await atomicReplace(c.staged, c.template.dst, { rename: deps.rename });
    } catch (e) {
      await Promise.all(changed.slice(i).map((r) => r.staged.discard().catch(() => undefined)));
      const errors = await restoreAll(deps, changed.slice(0, i));
      const restored = i === 0 ? '' : errors.length ? `; restoring earlier files FAILED: ${errors.join('; ')}` : '; earlier files restored';
      throw new ResourceError(spec.name, 'install', `${c.template.dst}: ${errorMessage(e)}${restored}`, { cause: e });
    }
    deps.logger.info({ event: 'installed', dst: c.template.dst, method }, 'installed new file');
  }
}

/** Put every previous file back (remove new files that had no predecessor). Returns error messages. */
export async function restoreAll(deps: CommitDeps, changed: readonly ChangedFile[]): Promise<string[]> {
  const errors: string[] = [];
  for (const c of changed) {
    try {
      await restoreOne(deps, c);
      deps.logger.warn({ event: 'rolled-back', dst: c.template.dst }, c.previous ? 'restored previous file' : 'removed new file (there was none before)');
    } catch (e) {
      errors.push(`${c.template.dst}: ${errorMessage(e)}`);
      deps.logger.error({ event: 'rollback-failed', dst: c.template.dst, err: errorMessage(e) }, 'could not restore previous file');
    }
  }
  return errors;
}

async function restoreOne(deps: CommitDeps, c: ChangedFile): Promise<void> {
  const dst = c.template.dst;
  if (c.previous === null) return removeFile(dst);
  const prev = c.previous;
  const { mode, uid, gid } = prev.fingerprint;
  // Unprivileged keyplate cannot give a file back to another owner: then restore content and mode.
  const staged = await stageFile(dst, prev.contents, { mode, uid, gid }).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    return stageFile(dst, prev.contents, { mode });
  });
  try {
    await atomicReplace(staged, dst, { rename: deps.rename });
  } finally {
    await staged.discard();
  }
}

function reloadJobs(spec: ResourceSpec, changed: readonly ChangedFile[]): ReloadJob[] {
  const jobs: ReloadJob[] = [];
  for (const c of changed) {
    const t = c.template;
    if (t.reloadCmd === undefined) continue;
    jobs.push({ cmd: t.reloadCmd, timeoutMs: t.reloadTimeoutMs, template: t, vars: { src: t.dst, dst: t.dst, name: spec.name } });
  }
  if (spec.reloadCmd !== undefined) {
    const first = changed[0]?.template.dst ?? '';
    jobs.push({ cmd: spec.reloadCmd, timeoutMs: spec.reloadTimeoutMs, vars: { src: first, dst: first, name: spec.name } });
  }
  return jobs;
}

/**
 * Install, then reload. A failed reload restores every previous file, re-runs all reloads and
 * throws CommandStepError step 'reload' with a RollbackReport.
 */
export async function commit(deps: CommitDeps, spec: ResourceSpec, changed: readonly ChangedFile[]): Promise<CommitResult> {
  if (deps.applier) await applyThrough(deps, deps.applier, spec, changed);
  else await installAll(deps, spec, changed);
  const jobs = reloadJobs(spec, changed);
  const reloads = new Map<string, CommandResult>();
  let resourceReload: CommandResult | undefined;
  for (const job of jobs) {
    // Once files are installed the transaction completes: reloads ignore abort, bounded by their timeouts.
    const result = await deps.run(job.cmd, { vars: job.vars, timeoutMs: job.timeoutMs });
    if (job.template) reloads.set(job.template.dst, result);
    else resourceReload = result;
    if (!succeeded(result)) throw await rollBack(deps, spec, changed, jobs, job, result);
    deps.logger.info({ event: 'reload', dst: job.template?.dst, command: result.command, durationMs: result.durationMs }, 'reload succeeded');
  }
  return { reloads, resourceReload };
}

async function rollBack(
  deps: CommitDeps,
  spec: ResourceSpec,
  changed: readonly ChangedFile[],
  jobs: readonly ReloadJob[],
  failed: ReloadJob,
  result: CommandResult,
): Promise<CommandStepError> {
  const restoreErrors = await restoreAll(deps, changed);
  const second: CommandResult[] = [];
  for (const job of jobs) second.push(await deps.run(job.cmd, { vars: job.vars, timeoutMs: job.timeoutMs }));
  const report: RollbackReport = {
    restored: restoreErrors.length === 0,
    reloadOk: second.every(succeeded),
    reloads: second,
    restoreErrors,
  };
  const who = failed.template ? `reload_cmd of ${failed.template.dst}` : 'resource reload_cmd';
  const restored = report.restored
    ? 'the previous config was restored'
    : `restoring the previous config FAILED (${restoreErrors.join('; ')})`;
  const again = report.reloadOk ? 'the reload was re-run and succeeded' : 'the reload was re-run and FAILED again';
  const tail = outputTail(result);
  const message = `${who} (${result.command}) ${describeOutcome(result, failed.timeoutMs)}; ${restored}; ${again}${tail ? `\n${tail}` : ''}`;
  deps.logger.error({ event: 'reload-failed', dst: failed.template?.dst, restored: report.restored, reloadOk: report.reloadOk }, 'reload failed, rolled back');
  return new CommandStepError(spec.name, 'reload', message, { result, template: failed.template?.dst, rollback: report });
}

/**
 * Install through the applier (it checks, then applies live or reloads). When it refuses, the
 * previous files go back through it too, so the consumer ends where it started.
 */
async function applyThrough(deps: CommitDeps, applier: Applier, spec: ResourceSpec, changed: readonly ChangedFile[]): Promise<void> {
  const r = await applier.apply(() => installAll(deps, spec, changed));
  if (r.ok) {
    deps.logger.info({ event: 'applied', method: r.method, reason: r.message }, 'applied');
    return;
  }
  let restoreErrors: string[] = [];
  const back = await applier.apply(async () => {
    restoreErrors = await restoreAll(deps, changed);
  });
  const report: RollbackReport = { restored: restoreErrors.length === 0, reloadOk: back.ok, reloads: [], restoreErrors };
  const result: CommandResult = { command: `apply (${r.method})`, exitCode: 1, signal: null, timedOut: false, stdout: '', stderr: r.message, durationMs: 0 };
  const restored = report.restored ? 'the previous files were restored' : `restoring the previous files FAILED (${restoreErrors.join('; ')})`;
  const message = `HAProxy (${r.method}): ${r.message}; ${restored}; ${back.ok ? 'the running config is unchanged' : `putting the previous config back also failed: ${back.message}`}`;
  deps.logger.error({ event: 'apply-failed', restored: report.restored, reloadOk: back.ok }, 'apply failed, rolled back');
  throw new CommandStepError(spec.name, 'reload', message, { result, rollback: report });
}
