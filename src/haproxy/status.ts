/**
 * What the status page shows of the supervised HAProxy: its state and pids, version, reloads
 * (count, last, and which change forced it), Runtime API applies, restarts, and on demand the
 * live routing table read from HAProxy. Recorded from the controller's events; `live()` asks
 * HAProxy (master `show proc`, admin `show info`, maps, backends, servers).
 */
import type { ApplyResult, HaproxyController } from './controller.ts';
import type { ReloadResult } from './reload.ts';
import { parseShowInfo, readRoutingTable, type RoutingTable } from './routing.ts';
import type { StartInfo, SupervisorState } from './supervisor.ts';

export interface HaproxyEvent {
  readonly at: number;
  readonly ok: boolean;
  /** Why: which change forced the reload, or what the runtime commands changed. */
  readonly reason: string;
  readonly message?: string;
}

export interface HaproxyStatus {
  readonly state: SupervisorState;
  readonly up: boolean;
  readonly masterPid?: number;
  readonly workerPid?: number;
  readonly version?: string;
  readonly startedAt?: number;
  readonly restarts: number;
  readonly reloads: { readonly count: number; readonly failures: number; readonly last?: HaproxyEvent; readonly lastOkAt?: number };
  readonly runtime: { readonly applies: number; readonly commands: number; readonly failures: number; readonly last?: HaproxyEvent & { readonly commands: readonly string[] } };
}

export interface HaproxyLive {
  readonly workerPids: readonly number[];
  readonly oldWorkerPids: readonly number[];
  readonly routing?: RoutingTable;
  /** Why the live read failed (HAProxy not running, socket error). */
  readonly error?: string;
}

const MAX_COMMANDS = 20;

export class HaproxyStatusTracker {
  readonly #c: HaproxyController;
  readonly #now: () => number;
  #masterPid?: number;
  #workerPid?: number;
  #startedAt?: number;
  #version?: string;
  #lastReload?: HaproxyEvent;
  #lastReloadOkAt?: number;
  #lastRuntime?: HaproxyEvent & { commands: readonly string[] };

  constructor(controller: HaproxyController, opts: { now?: () => number } = {}) {
    this.#c = controller;
    this.#now = opts.now ?? Date.now;
    controller.on('started', (i: StartInfo) => {
      this.#masterPid = i.masterPid;
      this.#workerPid = i.workerPid;
      this.#startedAt = this.#now();
    });
    controller.on('reload', (r: ReloadResult) => {
      if (r.ok && r.newWorkerPid) this.#workerPid = r.newWorkerPid;
      if (r.ok) this.#lastReloadOkAt = this.#now();
    });
    controller.on('applied', (r: ApplyResult) => this.#applied(r));
  }

  #applied(r: ApplyResult): void {
    const at = this.#now();
    if (r.method === 'reload') {
      this.#lastReload = { at, ok: r.ok, reason: r.reasons.join('; '), ...(r.ok ? {} : { message: r.reload?.message ?? r.reason }) };
    } else if (r.method === 'runtime') {
      this.#lastRuntime = { at, ok: r.ok, reason: r.reasons.join('; '), commands: r.commands.slice(0, MAX_COMMANDS) };
    }
  }

  /** The recorded state (no I/O). */
  status(): HaproxyStatus {
    const c = this.#c.counters;
    const state = this.#c.supervisor.state;
    return {
      state,
      up: state === 'running',
      ...(this.#masterPid ? { masterPid: this.#masterPid } : {}),
      ...(this.#workerPid ? { workerPid: this.#workerPid } : {}),
      ...(this.#version ? { version: this.#version } : {}),
      ...(this.#startedAt ? { startedAt: this.#startedAt } : {}),
      restarts: c.restarts,
      reloads: { count: c.reloads, failures: c.reloadFailures, ...(this.#lastReload ? { last: this.#lastReload } : {}), ...(this.#lastReloadOkAt ? { lastOkAt: this.#lastReloadOkAt } : {}) },
      runtime: { applies: c.runtimeApplies, commands: c.runtimeCommands, failures: c.runtimeFailures, ...(this.#lastRuntime ? { last: this.#lastRuntime } : {}) },
    };
  }

  /** The HAProxy version once known (from `show info`). */
  get version(): string | undefined {
    return this.#version;
  }

  /** Ask HAProxy: workers, version, routing table. Never throws: a failure is in `error`. */
  async live(signal?: AbortSignal): Promise<HaproxyLive> {
    const client = this.#c.runtimeClient();
    if (!client) return { workerPids: [], oldWorkerPids: [], error: `haproxy is ${this.#c.supervisor.state}` };
    try {
      const [proc, info, routing] = await Promise.all([
        this.#c.supervisor.showProc({ signal }).catch(() => undefined),
        this.#version ? Promise.resolve(undefined) : client('show info', { signal }),
        readRoutingTable(client, signal),
      ]);
      if (info) this.#version = parseShowInfo(info).Version || this.#version;
      if (proc) this.#masterPid = proc.masterPid;
      if (proc?.workers[0]) this.#workerPid = proc.workers[0];
      return { workerPids: proc?.workers ?? [], oldWorkerPids: proc?.oldWorkers ?? [], routing };
    } catch (e) {
      return { workerPids: [], oldWorkerPids: [], error: e instanceof Error ? e.message : String(e) };
    }
  }
}
