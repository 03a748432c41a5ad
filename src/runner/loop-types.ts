/**
 * What a resource loop takes and reports (resource-loop.ts): its dependencies, the outcome of a
 * cycle, its status for /status and /healthz, and the options of one pass.
 */
import type { Logger } from 'pino';
import type { ProcessResult } from '../pipeline/process.ts';
import type { Clock } from '../schedule/schedule.ts';
import type { KeyTree } from '../tree/key-tree.ts';
import type { ResourceSpec } from '../config/types.ts';
import type { FeedStatus } from './feed.ts';
import type { GuardHold, GuardSpec } from './guard.ts';
import type { GuardStateStore } from './guard-state.ts';
import type { QuarantinedKey } from './quarantine.ts';

/** Renders and installs the resource from a tree (the pipeline, bound to its deps). */
export type ProcessFn = (spec: ResourceSpec, tree: KeyTree, opts: { noop: boolean; probe?: boolean; signal?: AbortSignal }) => Promise<ProcessResult>;

export interface LoopDeps {
  readonly process: ProcessFn;
  /** Data guards for this resource (default: refuse an emptied prefix, allow any shrink). */
  readonly guard?: GuardSpec;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Called after every cycle, for metrics and health. */
  readonly onCycle?: (outcome: CycleOutcome) => void;
  /** Quarantine's check budget per minute (default 60). */
  readonly quarantineChecksPerMinute?: number;
  /** Where the guard keeps its baseline across restarts (default: in memory only). */
  readonly guardState?: GuardStateStore;
  /** `run --allow-empty`: the first install takes the data as read, without the guard. */
  readonly allowEmpty?: boolean;
}

export type CycleOutcome =
  | { readonly resource: string; readonly ok: true; readonly result: ProcessResult; readonly durationMs: number; readonly guardHolds?: readonly GuardHold[] }
  | { readonly resource: string; readonly ok: false; readonly error: unknown; readonly durationMs: number };

export interface ResourceStatus {
  readonly resource: string;
  readonly renders: number;
  readonly failures: number;
  readonly lastSuccessAt?: number;
  readonly lastError?: string;
  /** Epoch ms of the next scheduled retry after a failure, while one is pending. */
  readonly nextRetryAt?: number;
  readonly sources: readonly FeedStatus[];
  /** Keys whose change was refused and is held back (runner/quarantine.ts). */
  readonly quarantined?: readonly QuarantinedKey[];
  /** Prefixes the data guard holds at their last good values (runner/guard.ts). */
  readonly guards?: readonly GuardHold[];
}

export interface PassOpts {
  readonly noop: boolean;
  readonly signal?: AbortSignal;
  /** No pass follows (a one-shot): nothing to keep for the next one. */
  readonly final?: boolean;
}

