/** keyplate's live-HAProxy layer: supervision, reloads, Runtime API. See docs/haproxy.md. */
export { HaproxyController, type ApplyOptions, type ApplyResult, type HaproxyCounters } from './controller.ts';
export { HaproxySupervisor, type StartInfo, type SupervisorState } from './supervisor.ts';
export { reloadHaproxy, checkConfig, type ReloadResult, type ReloadOptions, type CheckResult } from './reload.ts';
export { ReloadCoalescer } from './coalesce.ts';
export { planApply, type ApplyPlan, type ApplyMethod, type PlanOptions } from './plan.ts';
export type { RuntimeOp } from './runtime-commands.ts';
export { applyRuntime, verifyRuntime, retryPendingDeletes, type PendingDeletes, type CliClient, type RuntimeApplyResult, type RuntimeApplyOptions } from './runtime.ts';
export { buildModel, parseMapFile, parseServerLine, type HaproxyModel, type ProxyModel, type ServerModel, type MapRef, type FileSnapshot } from './model.ts';
export { readSnapshot, snapshotOf, type LoadedFiles } from './snapshot.ts';
export { cliCommand, cliArg } from './runtime-socket.ts';
export { parseShowProc, parseServersState, parseShowMap, type ProcInfo, type ServerState } from './runtime-answers.ts';
export type { HaproxyControllerOptions, HaproxyProcessOptions, RestartPolicy } from './options.ts';
export { HaproxyProcessError, HaproxyReloadError, HaproxySocketError } from './errors.ts';
