/**
 * The supervised HAProxy as the pipeline sees it: the Applier its resources install through.
 * HAProxy starts once every one of its resources has rendered successfully; before that, each
 * install is validated with `haproxy -c` (a refusal restores the previous files). After that,
 * every install goes through the controller: live through the Runtime API, or a confirmed reload.
 */
import type { Logger } from 'pino';
import { resolve } from 'node:path';
import type { HaproxySpec } from '../config/types.ts';
import { AppError, ExitCode } from '../errors.ts';
import { checkConfig, HaproxyController, type HaproxyCounters } from './index.ts';
import type { HaproxyControllerOptions } from './options.ts';
import type { Applier, ApplierResult } from '../pipeline/commit.ts';

export function controllerOptions(spec: HaproxySpec, env: Readonly<Record<string, string | undefined>>): HaproxyControllerOptions {
  const haproxyEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) haproxyEnv[k] = v;
  return {
    command: spec.command,
    args: spec.args,
    configFiles: spec.configFiles,
    masterSocket: spec.masterSocket,
    adminSocket: spec.adminSocket,
    extraFiles: spec.extraFiles,
    cwd: spec.cwd,
    env: haproxyEnv,
    stopSignal: spec.stopSignal as NodeJS.Signals,
    killSignal: spec.killSignal as NodeJS.Signals,
    stopTimeoutMs: spec.stopTimeoutMs,
    startTimeoutMs: spec.startTimeoutMs,
    reloadTimeoutMs: spec.reloadTimeoutMs,
    checkBeforeReload: spec.checkBeforeReload,
    checkTimeoutMs: spec.checkTimeoutMs,
    minReloadIntervalMs: spec.minReloadIntervalMs,
    removeServerTimeoutMs: spec.removeServerTimeoutMs,
    disableRuntimeApi: !spec.runtimeApi,
  };
}

export class HaproxyApplier implements Applier {
  readonly controller: HaproxyController;
  readonly #spec: HaproxySpec;
  readonly #options: HaproxyControllerOptions;
  readonly #log: Logger;
  readonly #waitingFor: Set<string>;
  #started = false;

  constructor(spec: HaproxySpec, resourceNames: readonly string[], deps: { logger: Logger; env: Readonly<Record<string, string | undefined>>; logOutput?: NodeJS.WritableStream }) {
    this.#spec = spec;
    this.#options = { ...controllerOptions(spec, deps.env), ...(deps.logOutput ? { logOutput: deps.logOutput } : {}) };
    this.#log = deps.logger.child({ component: 'haproxy' });
    this.controller = new HaproxyController(this.#options, { logger: this.#log });
    this.#waitingFor = new Set(resourceNames.filter((n) => this.serves(n)));
  }

  get started(): boolean {
    return this.#started;
  }

  get counters(): HaproxyCounters {
    return this.controller.counters;
  }

  /** Whether a resource's changes go through this HAProxy. */
  serves(resource: string): boolean {
    return this.#spec.resources === undefined || this.#spec.resources.includes(resource);
  }

  async apply(install: () => Promise<void>): Promise<ApplierResult> {
    if (!this.#started) {
      await install();
      const check = await checkConfig(this.#options, { timeoutMs: this.#spec.checkTimeoutMs });
      return check.ok
        ? { ok: true, method: 'install', message: 'HAProxy is not running yet; files checked with haproxy -c' }
        : { ok: false, method: 'check', message: `haproxy -c rejected the configuration: ${check.message}` };
    }
    const r = await this.controller.apply({ install });
    return { ok: r.ok, method: r.method, message: r.ok ? r.reason : (r.reload?.message ?? r.reason) };
  }

  /** `haproxy -c` of the config files with candidate copies in place of the destinations they stand for. */
  async checkCandidate(files: ReadonlyMap<string, string>, signal?: AbortSignal): Promise<{ ok: boolean; message: string; timedOut?: boolean }> {
    const configFiles = this.#options.configFiles.map((f) => files.get(resolve(this.#spec.cwd ?? '.', f)) ?? f);
    const r = await checkConfig({ ...this.#options, configFiles }, { timeoutMs: this.#spec.checkTimeoutMs, signal });
    return { ok: r.ok, message: r.message, timedOut: !r.ok && /timed? ?out|ETIMEDOUT|SIGTERM/i.test(r.message) };
  }

  /** A resource rendered successfully; once all of them have, HAProxy starts. */
  async resourceReady(resource: string, signal?: AbortSignal): Promise<void> {
    this.#waitingFor.delete(resource);
    if (this.#started || this.#waitingFor.size > 0) return;
    this.#started = true;
    try {
      const info = await this.controller.start(signal);
      this.#log.info({ event: 'haproxy-started', ...info }, 'HAProxy started');
    } catch (e) {
      throw new AppError('E_PROCESS', ExitCode.PROCESS, `HAProxy could not be started: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Resolves when HAProxy was stopped; rejects when it could not be kept up. */
  get closed(): Promise<void> {
    return this.controller.closed;
  }

  async stop(): Promise<void> {
    if (this.#started) await this.controller.stop({ timeoutMs: this.#spec.stopTimeoutMs });
  }
}
