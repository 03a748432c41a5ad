/**
 * One pass of the resource pipeline: render → stage → compare → check → install → reload, with
 * rollback. All templates of a resource are rendered and checked before any is installed, so a
 * resource is replaced as a unit (remco installs one template after another instead).
 */
import type { Logger } from 'pino';
import type { ResourceSpec, TemplateSpec } from '../config/types.ts';
import { ResourceError, errorMessage, type Step } from '../errors.ts';
import { succeeded, type CommandResult, type CommandRunner } from '../exec/run.ts';
import {
  diffFingerprints,
  makeDirectories,
  plannedFingerprint,
  snapshotFile,
  stageFile,
  type FileDiff,
  type FileSnapshot,
  type RenameFn,
} from './files.ts';
import type { RejectedRenders } from './rejected.ts';
import { commit, type Applier, type ChangedFile } from './commit.ts';
export type { Applier, ApplierResult } from './commit.ts';
import { CommandStepError } from './step-error.ts';
import { probeRenders } from './probe.ts';
import { checkOnCopy } from './check-copy.ts';
import { clearRejected, rejectionMessage } from './rejection.ts';
import { checkRecordPath, cleanLeftovers } from './leftovers.ts';
import { dirname } from 'node:path';

export { RejectedRenders } from './rejected.ts';
export { CommandStepError, type RollbackReport } from './step-error.ts';

export interface PipelineDeps {
  /** Render one template to a string; may throw TemplateError (rethrown as is). */
  render(template: TemplateSpec): Promise<string>;
  readonly run: CommandRunner;
  readonly logger: Logger;
  /** Injectable rename (tests simulate EBUSY); default fs.rename. */
  readonly rename?: RenameFn;
  /** A consumer that follows installs itself (supervised HAProxy) instead of reload commands. */
  readonly applier?: Applier;
}

export interface ProcessOptions {
  /** Render and compare only: never write a file, never run a command. */
  readonly noop: boolean;
  /** Honoured until the install starts; after that the pass completes (bounded by command timeouts). */
  readonly signal?: AbortSignal;
  /** Skip re-checking a render the check already rejected (kept by the caller across passes). */
  readonly rejected?: RejectedRenders;
  /** Only check the render on temp copies (probe.ts): never stage, install or reload. */
  readonly probe?: boolean;
  /** With noop: run every check_cmd on a temporary copy of its render and fail with every failure. */
  readonly checkCopies?: boolean;
}

export interface TemplateOutcome {
  readonly template: TemplateSpec;
  readonly contents: string;
  /** The render differs from the destination (content, mode or owner, or no destination). */
  readonly wouldChange: boolean;
  /** The destination was replaced in this pass. */
  readonly changed: boolean;
  readonly diff: FileDiff | null;
  readonly check?: CommandResult;
  readonly reload?: CommandResult;
}

export interface ProcessResult {
  readonly resource: string;
  readonly wouldChange: boolean;
  readonly changed: boolean;
  readonly templates: readonly TemplateOutcome[];
  /** The resource-level reload_cmd result, when it ran. */
  readonly reload?: CommandResult;
  readonly durationMs: number;
}

/** Per template: what was rendered, what is on disk, what differs, and the stage (non-noop). */
interface Plan {
  readonly template: TemplateSpec;
  readonly contents: string;
  readonly previous: FileSnapshot | null;
  readonly diff: FileDiff | null;
  readonly changed?: ChangedFile;
}

function wrap(spec: ResourceSpec, step: Step, t: TemplateSpec, e: unknown): ResourceError {
  if (e instanceof ResourceError) return e;
  return new ResourceError(spec.name, step, `${t.dst}: ${errorMessage(e)}`, { cause: e });
}

async function renderAll(deps: PipelineDeps, spec: ResourceSpec, signal?: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  for (const t of spec.templates) {
    signal?.throwIfAborted();
    try {
      out.push(await deps.render(t));
    } catch (e) {
      if (signal?.aborted) throw e;
      // an operator-owned destination (foreign_marker) is never written, so its data need not exist
      if (t.foreignMarker !== undefined && isForeign(t, await snapshotFile(t.dst).catch(() => null))) {
        deps.logger.info({ event: 'foreign-kept', dst: t.dst }, 'destination belongs to the operator (no foreign_marker): not rendered, kept as it is');
        out.push('');
        continue;
      }
      throw e instanceof ResourceError ? e : new ResourceError(spec.name, 'render', `${t.src}: ${errorMessage(e)}`, { cause: e });
    }
  }
  return out;
}

/** Compare without touching the disk (noop). */
async function planOnly(spec: ResourceSpec, t: TemplateSpec, contents: string): Promise<Plan> {
  const previous = await snapshotFile(t.dst).catch((e: unknown) => Promise.reject(wrap(spec, 'compare', t, e)));
  if (isForeign(t, previous)) return { template: t, contents, previous, diff: null };
  const diff = diffFingerprints(plannedFingerprint(contents, t, previous?.fingerprint ?? null), previous?.fingerprint ?? null);
  return { template: t, contents, previous, diff };
}

/** An existing destination without the template's foreign_marker belongs to the operator (e.g. a mounted PEM). */
function isForeign(t: TemplateSpec, previous: FileSnapshot | null): boolean {
  return t.foreignMarker !== undefined && previous !== null && !previous.contents.includes(t.foreignMarker);
}

/** Stage beside the destination and compare; an unchanged stage is discarded at once. */
async function stageOne(spec: ResourceSpec, t: TemplateSpec, contents: string, logger: Logger): Promise<Plan> {
  let previous: FileSnapshot | null;
  try {
    if (t.makeDirectories) await makeDirectories(dirname(t.dst));
    previous = await snapshotFile(t.dst);
  } catch (e) {
    throw wrap(spec, 'compare', t, e);
  }
  if (isForeign(t, previous)) return { template: t, contents, previous, diff: null };
  await cleanLeftovers(t, logger);
  if (contents.trim() === '' && previous !== null && previous.contents.toString('utf8').trim() !== '') {
    logger.warn({ dst: t.dst }, 'the render is empty but the destination is not: installing an empty file');
  }
  const staged = await stageFile(t.dst, contents, t, previous?.fingerprint ?? null).catch((e: unknown) => {
    const hint = (e as NodeJS.ErrnoException).code === 'ENOENT' && !t.makeDirectories ? ' (set make_directories = true?)' : '';
    return Promise.reject(new ResourceError(spec.name, 'stage', `${t.dst}: ${errorMessage(e)}${hint}`, { cause: e }));
  });
  if (t.keepStageFile) Object.assign(staged, { discard: async () => {} }); // keep_stage_file: kept for debugging
  const diff = diffFingerprints(staged.fingerprint, previous?.fingerprint ?? null);
  if (diff === null) {
    await staged.discard();
    return { template: t, contents, previous, diff };
  }
  return { template: t, contents, previous, diff, changed: { template: t, staged, previous } };
}

async function discardAll(plans: readonly Plan[]): Promise<void> {
  await Promise.all(plans.map((p) => p.changed?.staged.discard().catch(() => undefined)));
}

async function stageAll(spec: ResourceSpec, rendered: readonly string[], logger: Logger, signal?: AbortSignal): Promise<Plan[]> {
  const plans: Plan[] = [];
  try {
    for (let i = 0; i < spec.templates.length; i++) {
      signal?.throwIfAborted();
      plans.push(await stageOne(spec, spec.templates[i], rendered[i], logger));
    }
    return plans;
  } catch (e) {
    await discardAll(plans);
    throw e;
  }
}

/** Run check_cmd against each staged file; the first failure throws CommandStepError step 'check'. */
async function checkAll(deps: PipelineDeps, spec: ResourceSpec, plans: readonly Plan[], opts: ProcessOptions) {
  const results = new Map<string, CommandResult>();
  for (const p of plans) {
    const c = p.changed;
    const t = p.template;
    if (!c || t.checkCmd === undefined) continue;
    const sha = c.staged.fingerprint.sha256;
    if (opts.rejected?.isRejected(t.dst, sha)) throw repeatedRejection(spec, t);
    const vars = { src: c.staged.path, dst: t.dst, name: spec.name };
    const result = await deps.run(t.checkCmd, { vars, timeoutMs: t.checkTimeoutMs, signal: opts.signal, record: checkRecordPath(t.dst) });
    opts.signal?.throwIfAborted();
    results.set(t.dst, result);
    if (!succeeded(result)) {
      // a timeout is no verdict on the render: it is checked again on the next retry
      if (!result.timedOut) opts.rejected?.remember(t.dst, sha);
      throw new CommandStepError(spec.name, 'check', await rejectionMessage(t, c.staged, result), { result, template: t.dst });
    }
    opts.rejected?.forget(t.dst);
    await clearRejected(t.dst);
  }
  return results;
}

/** Dry run: every check_cmd on a temporary copy; one error listing every failure. */
async function checkCopiesAll(deps: PipelineDeps, spec: ResourceSpec, plans: readonly Plan[], signal?: AbortSignal): Promise<Map<string, CommandResult>> {
  const results = new Map<string, CommandResult>();
  const failures: { message: string; result: CommandResult; dst: string }[] = [];
  for (const p of plans) {
    const t = p.template;
    if (t.checkCmd === undefined || isForeign(t, p.previous)) continue;
    const c = await checkOnCopy(deps.run, spec, { ...t, checkCmd: t.checkCmd }, p.contents, { signal });
    signal?.throwIfAborted();
    results.set(t.dst, c.result);
    if (!c.ok) failures.push({ message: c.message!, result: c.result, dst: t.dst });
  }
  if (failures.length > 0) {
    const msg = failures.length === 1 ? failures[0].message : `${failures.length} templates rejected:\n${failures.map((f) => f.message).join('\n')}`;
    throw new CommandStepError(spec.name, 'check', msg, { result: failures[0].result, template: failures[0].dst });
  }
  return results;
}

function repeatedRejection(spec: ResourceSpec, t: TemplateSpec): CommandStepError {
  const result: CommandResult = { command: '', exitCode: null, signal: null, timedOut: false, stdout: '', stderr: '', durationMs: 0 };
  const msg = `${t.dst}: this exact render was already rejected by check_cmd; not checking it again until it changes`;
  return new CommandStepError(spec.name, 'check', msg, { result, template: t.dst, repeated: true });
}

/** Check/reload results gathered during a pass, by destination. */
interface PassResults {
  readonly checks?: ReadonlyMap<string, CommandResult>;
  readonly reloads?: ReadonlyMap<string, CommandResult>;
  readonly resourceReload?: CommandResult;
}

function result(spec: ResourceSpec, plans: readonly Plan[], installed: boolean, started: number, r: PassResults = {}): ProcessResult {
  const templates = plans.map((p): TemplateOutcome => {
    const check = r.checks?.get(p.template.dst);
    const reload = r.reloads?.get(p.template.dst);
    const wouldChange = p.diff !== null;
    const base = { template: p.template, contents: p.contents, wouldChange, changed: installed && wouldChange, diff: p.diff };
    return { ...base, ...(check ? { check } : {}), ...(reload ? { reload } : {}) };
  });
  return {
    resource: spec.name,
    wouldChange: templates.some((o) => o.wouldChange),
    changed: templates.some((o) => o.changed),
    templates,
    ...(r.resourceReload ? { reload: r.resourceReload } : {}),
    durationMs: Math.round(performance.now() - started),
  };
}

/** Process one resource. Throws ResourceError (with .step); a failed check leaves every destination untouched. */
export async function processResource(deps: PipelineDeps, spec: ResourceSpec, opts: ProcessOptions): Promise<ProcessResult> {
  const started = performance.now();
  const logger = deps.logger.child({ resource: spec.name });
  const rendered = await renderAll(deps, spec, opts.signal);
  if (opts.probe) {
    await probeRenders({ run: deps.run, applier: deps.applier }, spec, rendered, opts.signal);
    return result(spec, [], false, started);
  }
  if (opts.noop) {
    const plans: Plan[] = [];
    for (let i = 0; i < spec.templates.length; i++) plans.push(await planOnly(spec, spec.templates[i], rendered[i]));
    for (const p of plans) if (p.diff) logger.info({ event: 'would-change', dst: p.template.dst, diff: p.diff }, 'noop: destination would change');
    const checks = opts.checkCopies ? await checkCopiesAll(deps, spec, plans, opts.signal) : undefined;
    return result(spec, plans, false, started, { checks });
  }
  const plans = await stageAll(spec, rendered, logger, opts.signal);
  const changed = plans.flatMap((p) => (p.changed ? [p.changed] : []));
  for (const p of plans) {
    if (p.diff !== null) continue;
    opts.rejected?.forget(p.template.dst);
    await clearRejected(p.template.dst); // in sync: whatever was rejected before is moot
  }
  if (changed.length === 0) {
    logger.debug({ event: 'in-sync' }, 'all destinations in sync');
    return result(spec, plans, false, started);
  }
  let checks: Map<string, CommandResult>;
  try {
    checks = await checkAll(deps, spec, plans, opts);
    opts.signal?.throwIfAborted();
  } catch (e) {
    await discardAll(plans);
    throw e;
  }
  for (const p of plans) if (p.changed) logger.info({ event: 'changed', dst: p.template.dst, diff: p.diff }, 'destination changed');
  const committed = await commit({ run: deps.run, logger, rename: deps.rename, applier: deps.applier }, spec, changed);
  return result(spec, plans, true, started, { checks, ...committed });
}
