/**
 * One (uncoalesced) reload through the master socket, confirmed with `show proc` because 2.6
 * answers `reload` with nothing: wait until the reload counter grew and only new workers are
 * listed; retry while the socket reopens; detect `[failed: N]`. Optionally `haproxy -c` first.
 */
import { execFile } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { cliCommand, isTransientSocketError } from './runtime-socket.ts';
import type { ProcInfo } from './runtime-answers.ts';
import { DEFAULT_COMMAND, haproxyEnv, type HaproxyProcessOptions } from './options.ts';
import { alertLines } from './output.ts';
import type { HaproxySupervisor } from './supervisor.ts';
import { systemClock } from '../schedule/schedule.ts';

export interface ReloadResult {
  readonly ok: boolean;
  /** HAProxy's own error text on failure (the `haproxy -c` or master [ALERT] lines); '' on success. */
  readonly message: string;
  /** PID of the worker serving the new configuration (on failure: the old worker that kept serving). */
  readonly newWorkerPid?: number;
  /** Workers that were current before the reload (now draining on success). */
  readonly oldWorkerPids: readonly number[];
  /** The master's reload counter afterwards. */
  readonly reloads?: number;
  /** From sending `reload` to `show proc` confirming it (excludes `haproxy -c`). */
  readonly durationMs: number;
  /** How many requests for a reload this one served (coalescing). */
  readonly merged?: number;
}

export interface CheckResult {
  readonly ok: boolean;
  /** The [ALERT] lines (or all output if there are none) on failure, '' on success. */
  readonly message: string;
}

/** `haproxy -c -f <files>`: validate the files as HAProxy would load them. */
export function checkConfig(o: HaproxyProcessOptions, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<CheckResult> {
  const args = ['-c', ...(o.args ?? []), ...o.configFiles.flatMap((f) => ['-f', f])];
  return new Promise((resolve) => {
    execFile(
      o.command ?? DEFAULT_COMMAND,
      args,
      { cwd: o.cwd, env: haproxyEnv(o), timeout: opts.timeoutMs ?? 30_000, signal: opts.signal, maxBuffer: 4 << 20 },
      (err, stdout, stderr) => {
        if (!err) return resolve({ ok: true, message: '' });
        const lines = `${stdout}\n${stderr}`.split('\n').filter((l) => l.trim());
        const alerts = alertLines(lines);
        resolve({ ok: false, message: (alerts.length > 0 ? alerts : lines.length > 0 ? lines : [err.message]).join('\n') });
      },
    );
  });
}

export interface ReloadOptions {
  /** Run `haproxy -c` first and do not reload if it fails. Default true. */
  readonly check?: boolean;
  readonly checkTimeoutMs?: number;
  /** Give up waiting for confirmation after this long. Default 30 000 ms. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Reload now (no coalescing: see ReloadCoalescer) and report how it went. Never throws on
 *  HAProxy's refusal; throws only when aborted. */
export async function reloadHaproxy(sup: HaproxySupervisor, opts: ReloadOptions = {}): Promise<ReloadResult> {
  const clock = sup.options.clock ?? systemClock;
  const started = clock.now();
  const fail = (message: string, before?: ProcInfo): ReloadResult => ({
    ok: false,
    message,
    newWorkerPid: before?.workers[0],
    oldWorkerPids: before?.workers ?? [],
    reloads: before?.reloads,
    durationMs: clock.now() - started,
  });
  let before: ProcInfo;
  try {
    before = await sup.showProc({ retryForMs: 2000, signal: opts.signal });
  } catch (e) {
    return fail(`master socket not answering: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (opts.check ?? true) {
    const c = await checkConfig(sup.options, { timeoutMs: opts.checkTimeoutMs, signal: opts.signal });
    if (!c.ok) return fail(c.message, before);
  }
  const mark = sup.output.mark;
  const sentAt = clock.now();
  await cliCommand(sup.options.masterSocket, 'reload', { signal: opts.signal, timeoutMs: 5000 }).catch((e: unknown) => {
    if (!isTransientSocketError(e)) throw e; // the master closes the connection: that is normal
  });
  const after = await waitForReload(sup, before, opts.timeoutMs ?? 30_000, opts.signal);
  const durationMs = clock.now() - sentAt;
  if (after === 'timeout') return { ...fail(`not confirmed by "show proc" within ${opts.timeoutMs ?? 30_000} ms`, before), durationMs };
  if (after.failed > before.failed || after.workers.every((w) => before.workers.includes(w))) {
    const alerts = alertLines(sup.output.since(mark));
    let message = alerts.join('\n');
    if (!message) message = (await checkConfig(sup.options, { timeoutMs: opts.checkTimeoutMs, signal: opts.signal })).message;
    return { ...fail(message || `master reports [failed: ${after.failed}]`, after), durationMs };
  }
  const fresh = after.workers.filter((w) => !before.workers.includes(w));
  return { ok: true, message: '', newWorkerPid: fresh[0], oldWorkerPids: before.workers, reloads: after.reloads, durationMs };
}

async function waitForReload(sup: HaproxySupervisor, before: ProcInfo, timeoutMs: number, signal?: AbortSignal): Promise<ProcInfo | 'timeout'> {
  const clock = sup.options.clock ?? systemClock;
  const deadline = clock.now() + timeoutMs;
  let wait = 10;
  while (clock.now() < deadline) {
    await delay(wait, undefined, { signal });
    wait = Math.min(wait * 1.5, 200);
    const info = await sup.showProc({ signal }).catch((e: unknown) => {
      if (signal?.aborted) throw e;
      return undefined; // ECONNREFUSED/ECONNRESET while the master re-executes
    });
    if (!info || info.reloads <= before.reloads) continue;
    if (info.failed > before.failed) return info;
    if (info.workers.length > 0 && info.workers.every((w) => !before.workers.includes(w))) return info;
  }
  return 'timeout';
}

/** The typed error (exit code RELOAD) for a failed reload result, for callers that throw. */

