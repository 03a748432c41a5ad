/**
 * The error a failed check_cmd or reload_cmd raises: a ResourceError (step 'check' or 'reload')
 * that also carries the command's result and, for a reload, what the rollback did.
 */
import { ResourceError, type AppErrorOptions } from '../errors.ts';
import type { CommandResult } from '../exec/run.ts';

export interface RollbackReport {
  /** Every previous file was put back (or the new file removed when there was none). */
  readonly restored: boolean;
  /** The reload commands were re-run after the restore and all succeeded. */
  readonly reloadOk: boolean;
  /** Results of the second reload pass. */
  readonly reloads: readonly CommandResult[];
  /** Restore failures, one message per destination. */
  readonly restoreErrors: readonly string[];
}

export class CommandStepError extends ResourceError {
  /** The failing command's result. */
  readonly result: CommandResult;
  /** Destination of the template whose command failed; undefined for the resource-level reload. */
  readonly template?: string;
  /** The check rejected exactly this render before; the command was not run again. */
  readonly repeated: boolean;
  readonly rollback?: RollbackReport;
  constructor(
    resource: string,
    step: 'check' | 'reload',
    message: string,
    info: { result: CommandResult; template?: string; repeated?: boolean; rollback?: RollbackReport },
    opts?: AppErrorOptions,
  ) {
    super(resource, step, message, opts);
    this.result = info.result;
    this.template = info.template;
    this.repeated = info.repeated ?? false;
    this.rollback = info.rollback;
  }
}
