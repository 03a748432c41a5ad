/**
 * HaproxySupervisor: runs HAProxy as keyplate's child in master-worker mode, restarts it with
 * backoff when it dies, stops it gracefully (drain, then kill) and never leaves a process behind
 * (HAProxy runs in its own process group, which is killed as a last resort).
 *
 * Events: `started` (StartInfo), `exit` ({code, signal, expected}), `restarting` ({attempt, delayMs}),
 * `failed` (HaproxyProcessError: it could not be kept up; `closed` rejects with the same error).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { cliCommand, cliCommandRetry } from './runtime-socket.ts';
import { parseShowProc, type ProcInfo } from './runtime-answers.ts';
import { HaproxyProcessError } from './errors.ts';
import { DEFAULT_COMMAND, haproxyArgv, haproxyEnv, restartPolicy, type HaproxyProcessOptions, type RestartPolicy } from './options.ts';
import { OutputBuffer } from './output.ts';
import { systemClock } from '../schedule/schedule.ts';

export interface StartInfo {
  readonly masterPid: number;
  readonly workerPid: number;
  /** True when this start is an automatic restart after a crash. */
  readonly restarted: boolean;
}

export type SupervisorState = 'idle' | 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'failed';

export interface SupervisorHooks {
  /** Runs before every spawn (first start and restarts): e.g. snapshot the files HAProxy will read. */
  readonly beforeSpawn?: () => Promise<void>;
  /** Serialises automatic restarts with the caller's own queue (reloads, runtime commands). */
  readonly exclusive?: <T>(fn: () => Promise<T>) => Promise<T>;
}

export class HaproxySupervisor extends EventEmitter {
  readonly output: OutputBuffer;
  private readonly policy: RestartPolicy;
  private stateValue: SupervisorState = 'idle';
  private child: ChildProcess | undefined;
  private childExited: Promise<void> = Promise.resolve();
  private readonly groups = new Set<number>();
  private crashes: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private restartCount = 0;
  private settleClosed!: (err?: HaproxyProcessError) => void;
  /** Resolves after stop(); rejects with HaproxyProcessError if HAProxy could not be kept up. */
  readonly closed: Promise<void>;

  constructor(
    readonly options: HaproxyProcessOptions,
    private readonly logger: Logger,
    private readonly hooks: SupervisorHooks = {},
  ) {
    super();
    this.policy = restartPolicy(options.restart);
    this.output = new OutputBuffer(logger);
    this.closed = new Promise<void>((resolve, reject) => {
      this.settleClosed = (err) => (err ? reject(err) : resolve());
    });
    this.closed.catch(() => undefined); // observed through `failed` / by whoever awaits `closed`
  }

  get state(): SupervisorState {
    return this.stateValue;
  }
  get masterPid(): number | undefined {
    return this.child?.pid;
  }
  /** Automatic restarts so far. */
  get restarts(): number {
    return this.restartCount;
  }

  /** Spawn HAProxy and wait until the master lists a worker. Throws HaproxyProcessError. */
  async start(signal?: AbortSignal): Promise<StartInfo> {
    if (this.stateValue !== 'idle' && this.stateValue !== 'stopped') throw new HaproxyProcessError(`start() called while ${this.stateValue}`);
    this.stateValue = 'starting';
    try {
      const info = await this.spawnAndWait(false, signal);
      this.stateValue = 'running';
      this.emit('started', info);
      return info;
    } catch (e) {
      if (this.stateValue === 'starting') this.stateValue = 'stopped';
      throw e;
    }
  }

  /** `show proc` on the master socket (retrying while the socket reopens, up to `retryForMs`). */
  async showProc(opts: { retryForMs?: number; signal?: AbortSignal } = {}): Promise<ProcInfo> {
    const text = await cliCommandRetry(this.options.masterSocket, 'show proc', { retryForMs: opts.retryForMs ?? 0, signal: opts.signal });
    const info = parseShowProc(text);
    if (!info) throw new HaproxyProcessError(`unexpected "show proc" reply: ${JSON.stringify(text.slice(0, 200))}`);
    return info;
  }

  /** Send a raw command to the master CLI (`@1 <cmd>` reaches the current worker). */
  masterCommand(command: string, signal?: AbortSignal): Promise<string> {
    return cliCommand(this.options.masterSocket, command, { signal });
  }

  /**
   * Graceful stop: `stopSignal` (SIGUSR1) to the master so workers drain, up to `timeoutMs`
   * (default options.stopTimeoutMs); then `killSignal`, then SIGKILL to the whole process group.
   * Aborting `signal` skips the remaining drain time. Never throws; idempotent.
   */
  async stop(opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    clearTimeout(this.restartTimer);
    const prev = this.stateValue;
    if (prev !== 'failed') this.stateValue = 'stopping';
    const child = this.child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const drainMs = opts.timeoutMs ?? this.options.stopTimeoutMs ?? 30_000;
      this.signalPid(child.pid, this.options.stopSignal ?? 'SIGUSR1');
      if (!(await this.waitExit(drainMs, opts.signal))) {
        this.logger.warn({ event: 'haproxy-killed', pid: child.pid, drainMs }, 'haproxy did not drain in time: killing it');
        this.signalPid(child.pid, this.options.killSignal ?? 'SIGTERM');
        if (!(await this.waitExit(3000))) this.signalGroup(child.pid, 'SIGKILL');
        await this.waitExit(3000);
      }
    }
    for (const g of this.groups) this.signalGroup(g, 'SIGKILL');
    this.groups.clear();
    if (prev !== 'failed') {
      this.stateValue = 'stopped';
      this.settleClosed();
    }
  }

  private async waitExit(ms: number, signal?: AbortSignal): Promise<boolean> {
    const ac = new AbortController();
    const onAbort = (): void => ac.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const timedOut = delay(ms, true, { signal: ac.signal }).catch(() => true);
      return !(await Promise.race([this.childExited.then(() => false), timedOut]));
    } finally {
      ac.abort();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async spawnAndWait(restarted: boolean, signal?: AbortSignal): Promise<StartInfo> {
    await this.hooks.beforeSpawn?.();
    const o = this.options;
    const command = o.command ?? DEFAULT_COMMAND;
    const mark = this.output.mark;
    const child = spawn(command, haproxyArgv(o), { cwd: o.cwd, env: haproxyEnv(o), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let spawnError: Error | undefined;
    this.child = child;
    this.childExited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.once('error', (e) => (spawnError = e));
    child.once('exit', (code, sig) => {
      exitInfo = { code, signal: sig };
      this.onExit(child, code, sig);
    });
    if (child.pid !== undefined) this.groups.add(child.pid);
    this.output.attach(child.stdout, this.options.logOutput);
    this.output.attach(child.stderr);
    const clock = o.clock ?? systemClock;
    const deadline = clock.now() + (o.startTimeoutMs ?? 15_000);
    for (let wait = 20; ; wait = Math.min(wait * 2, 200)) {
      if (spawnError) throw new HaproxyProcessError(`cannot run ${command} (Debian package: haproxy): ${spawnError.message}`, { cause: spawnError });
      if (exitInfo) {
        await Promise.race([this.childExited, delay(1000, undefined, { ref: false })]);
        const alerts = this.output.since(mark);
        throw new HaproxyProcessError(`exited during start (code ${exitInfo.code}, signal ${exitInfo.signal}): ${alerts.slice(-5).join(' | ')}`, { stderrTail: alerts });
      }
      if (this.stateValue === 'stopping' || this.stateValue === 'stopped') throw new HaproxyProcessError('stopped while starting');
      const info = await this.showProc({ signal }).catch(() => undefined);
      if (info && info.masterPid === child.pid && info.workers.length > 0) return { masterPid: info.masterPid, workerPid: info.workers[0], restarted };
      if (clock.now() > deadline) {
        if (child.pid !== undefined) this.signalGroup(child.pid, 'SIGKILL');
        throw new HaproxyProcessError(`master socket ${o.masterSocket} did not list a worker within ${o.startTimeoutMs ?? 15_000} ms`, { stderrTail: this.output.since(mark) });
      }
      await delay(wait, undefined, { signal });
    }
  }

  private onExit(child: ChildProcess, code: number | null, sig: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    const expected = this.stateValue === 'stopping' || this.stateValue === 'stopped';
    this.emit('exit', { code, signal: sig, expected });
    if (child.pid !== undefined) this.reapGroup(child.pid, expected);
    if (this.stateValue !== 'running') return; // start/stop paths handle it
    this.logger.error({ event: 'haproxy-exited', code, signal: sig, stderr: this.output.tail(5) }, 'haproxy master exited unexpectedly');
    this.scheduleRestart();
  }

  /** Leftover workers of a dead master: let them finish (soft stop), kill them after the drain time. */
  private reapGroup(pgid: number, expected: boolean): void {
    if (expected) {
      this.signalGroup(pgid, 'SIGKILL');
      this.groups.delete(pgid);
      return;
    }
    this.signalGroup(pgid, 'SIGUSR1');
    const t = setTimeout(() => {
      this.signalGroup(pgid, 'SIGKILL');
      this.groups.delete(pgid);
    }, this.options.stopTimeoutMs ?? 30_000);
    t.unref();
  }

  private scheduleRestart(): void {
    const now = (this.options.clock ?? systemClock).now();
    this.crashes = this.crashes.filter((t) => now - t < this.policy.windowMs);
    this.crashes.push(now);
    if (this.crashes.length > this.policy.maxRestarts) {
      this.fail(new HaproxyProcessError(`exited ${this.crashes.length} times within ${this.policy.windowMs} ms: giving up`, { stderrTail: this.output.tail() }));
      return;
    }
    const delayMs = Math.min(this.policy.baseMs * 2 ** (this.crashes.length - 1), this.policy.maxMs);
    this.stateValue = 'restarting';
    this.emit('restarting', { attempt: this.crashes.length, delayMs });
    this.restartTimer = setTimeout(() => void this.restartNow(), delayMs);
  }

  private async restartNow(): Promise<void> {
    if (this.stateValue !== 'restarting') return;
    const exclusive = this.hooks.exclusive ?? (<T>(fn: () => Promise<T>) => fn());
    try {
      const info = await exclusive(() => {
        if (this.stateValue !== 'restarting') throw new HaproxyProcessError('stopped while restarting');
        return this.spawnAndWait(true);
      });
      this.stateValue = 'running';
      this.restartCount++;
      this.logger.warn({ event: 'haproxy-restarted', masterPid: info.masterPid }, 'haproxy restarted');
      this.emit('started', info);
    } catch (e) {
      if (this.stateValue !== 'restarting') return;
      this.logger.error({ event: 'haproxy-restart-failed', err: e }, 'haproxy restart failed');
      this.scheduleRestart();
    }
  }

  private fail(err: HaproxyProcessError): void {
    this.stateValue = 'failed';
    for (const g of this.groups) this.signalGroup(g, 'SIGKILL');
    this.groups.clear();
    this.logger.error({ event: 'haproxy-down', err }, 'haproxy could not be kept up');
    this.settleClosed(err);
    if (this.listenerCount('failed') > 0) this.emit('failed', err);
  }

  private signalPid(pid: number, sig: NodeJS.Signals): void {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }

  private signalGroup(pgid: number, sig: NodeJS.Signals): void {
    this.signalPid(-pgid, sig);
  }
}
