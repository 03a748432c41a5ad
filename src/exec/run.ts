/**
 * The command runner behind check_cmd and reload_cmd (execa 9). Every command has a timeout; on
 * timeout or abort the WHOLE process group is killed (SIGTERM, then SIGKILL after a grace period),
 * so `sh -c 'sleep 100'` leaves nothing behind. A non-zero exit is a result, never a throw.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { prepareCommand, type CommandSpec } from './command.ts';
import { listPids, procStat } from './procfs.ts';
import { startRecord, type RecordedRun } from './run-record.ts';

export interface CommandResult {
  /** The command as run, placeholders substituted (shell form: the script). */
  readonly command: string;
  /** null when the process was killed by a signal or could not be started. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

export interface RunOptions {
  /** Placeholder values: `src`, `dst` (alias `dest`), `name`. */
  readonly vars: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Aborting kills the process group like a timeout does (timedOut stays false). */
  readonly signal?: AbortSignal;
  readonly cwd?: string;
  /** Keep a record of the run in this file while the command runs (run-record.ts), so the next
   *  keyplate can end it if this one is killed meanwhile. */
  readonly record?: string;
}

/** Never throws for a non-zero exit, a timeout or a spawn failure: inspect the result. */
export type CommandRunner = (cmd: CommandSpec, opts: RunOptions) => Promise<CommandResult>;

export interface CommandRunnerDeps {
  readonly logger: Logger;
  /** The child's whole environment. Omitted: the child inherits keyplate's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Time between SIGTERM and SIGKILL to the process group. Default 2000 ms. */
  readonly killGraceMs?: number;
  /** Per-stream output cap kept in memory. Default 8 MiB. */
  readonly maxBuffer?: number;
}

/** True when the command ran and exited 0. */
export function succeeded(r: CommandResult): boolean {
  return r.exitCode === 0 && !r.timedOut && r.signal === null;
}

/** One line describing how a command ended, e.g. `exited with code 1` or `timed out after 500 ms`. */
export function describeOutcome(r: CommandResult, timeoutMs?: number): string {
  if (r.timedOut) return `timed out after ${timeoutMs ?? r.durationMs} ms and was killed`;
  if (r.signal) return `was killed by ${r.signal}`;
  if (r.exitCode === null) return 'could not be started';
  return `exited with code ${r.exitCode}`;
}

/** The last `max` characters of the command's stderr and stdout, for error messages. */
export function outputTail(r: CommandResult, max = 2000): string {
  const text = [r.stderr.trim(), r.stdout.trim()].filter(Boolean).join('\n');
  return text.length > max ? `…${text.slice(-max)}` : text;
}

/** Send a signal to a whole process group; false when the group is gone. */
function killGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a member of the process group still runs. A killed member whose parent (the leader)
 * died first is re-parented to PID 1 and stays a zombie until PID 1 reaps it, which some inits do
 * only every second or so: a zombie has exited and does not count (Linux /proc; elsewhere, any
 * member counts).
 */
async function groupRunning(pgid: number): Promise<boolean> {
  if (!killGroup(pgid, 0)) return false;
  const pids = await listPids();
  if (pids === undefined) return true;
  for (const pid of pids) {
    const s = await procStat(pid); // undefined: exited meanwhile
    if (s !== undefined && s.pgrp === pgid && s.state !== 'Z') return true;
  }
  return false;
}

/** Arms the timeout / abort handling for one spawned group. */
function groupKiller(pid: number | undefined, opts: RunOptions, graceMs: number) {
  let timedOut = false;
  let killedAt: number | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const kill = (byTimeout: boolean) => {
    if (killedAt !== undefined || pid === undefined) return;
    killedAt = performance.now();
    timedOut = byTimeout;
    killGroup(pid, 'SIGTERM');
    // Cleared in settle(); fires while the leader still ignores SIGTERM.
    graceTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
  };
  const timer = setTimeout(() => kill(true), opts.timeoutMs);
  timer.unref();
  const onAbort = () => kill(false);
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    get timedOut() {
      return timedOut;
    },
    /** Stop the timers; after a kill, wait (up to the grace period) for the group to go, then SIGKILL it. */
    async settle(): Promise<void> {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (killedAt === undefined || pid === undefined) return;
      while ((await groupRunning(pid)) && performance.now() - killedAt < graceMs) await delay(25);
      clearTimeout(graceTimer);
      killGroup(pid, 'SIGKILL');
    },
  };
}

function asString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.join('\n');
  return v === undefined || v === null ? '' : String(v);
}

export function createCommandRunner(deps: CommandRunnerDeps): CommandRunner {
  const graceMs = deps.killGraceMs ?? 2000;
  const maxBuffer = deps.maxBuffer ?? 8 * 1024 * 1024;
  // execa loads lazily: most runs never start a command, and start-up time matters.
  let execaModule: Promise<typeof import('execa')> | undefined;
  return async (cmd, opts) => {
    const prepared = prepareCommand(cmd, opts.vars);
    const { execa } = await (execaModule ??= import('execa'));
    const record = opts.record === undefined ? undefined : await recordRun(opts.record, deps.logger);
    const started = performance.now();
    const sub = execa(prepared.file, [...prepared.args], {
      detached: true,
      reject: false,
      stdin: 'ignore',
      cwd: opts.cwd,
      env: (record ? { ...deps.env, ...record.env } : deps.env) as Record<string, string> | undefined,
      extendEnv: deps.env === undefined,
      stripFinalNewline: false,
      maxBuffer,
      windowsHide: true,
    });
    const killer = groupKiller(sub.pid, opts, graceMs);
    await record?.spawned(sub.pid);
    const res = await sub;
    await killer.settle();
    await record?.done();
    const result: CommandResult = {
      command: prepared.display,
      exitCode: typeof res.exitCode === 'number' ? res.exitCode : null,
      signal: res.signal ?? null,
      timedOut: killer.timedOut,
      stdout: asString(res.stdout),
      stderr: asString(res.stderr) || (sub.pid === undefined ? (res.message ?? '') : ''),
      durationMs: Math.round(performance.now() - started),
    };
    logResult(deps.logger, result, opts.timeoutMs);
    return result;
  };
}

/** Start a run record; a record that cannot be written is logged and the command runs unrecorded. */
async function recordRun(path: string, logger: Logger): Promise<RecordedRun | undefined> {
  try {
    return await startRecord(path);
  } catch (e) {
    logger.warn({ event: 'run-record-failed', record: path, err: (e as Error).message }, 'cannot record the running command; a keyplate killed meanwhile would leave it running');
    return undefined;
  }
}

function logResult(logger: Logger, r: CommandResult, timeoutMs: number): void {
  const fields = {
    command: r.command,
    exitCode: r.exitCode,
    signal: r.signal,
    timedOut: r.timedOut,
    durationMs: r.durationMs,
    stdout: r.stdout.slice(-4000),
    stderr: r.stderr.slice(-4000),
  };
  if (succeeded(r)) logger.debug(fields, 'command succeeded');
  else logger.error({ event: 'command-failed', ...fields }, `command ${describeOutcome(r, timeoutMs)}`);
}
