/**
 * Which failures are retried without a data change, and how. A backend read that failed, and a
 * transient failure of the pass (a check_cmd that timed out, a reload that failed, an install
 * that could not write: ENOSPC, EACCES, a missing directory) are retried with backoff and jitter
 * (schedule/), on every retry tick (`interval`) and on SIGHUP. A real rejection (check_cmd exited
 * non-zero, HAProxy refused the config, the render failed) is not: it stays remembered until the
 * data changes, and quarantine (quarantine.ts) takes the data's part of it.
 */
import { isAppError, ResourceError } from '../errors.ts';
import { CommandStepError } from '../pipeline/step-error.ts';

export type RetryKind = 'backend' | 'transient';

export function retryKind(e: unknown, notData: (e: unknown) => boolean): RetryKind | undefined {
  if (!isAppError(e)) return undefined;
  if (e.code === 'E_BACKEND' || e.code === 'E_FETCH') return 'backend';
  if (e instanceof CommandStepError) {
    if (e.result.timedOut) return 'transient';
    if (e.step === 'reload' && notData(e)) return 'transient';
    return undefined;
  }
  if (e instanceof ResourceError && (e.step === 'install' || e.step === 'stage' || e.step === 'compare')) return 'transient';
  return undefined;
}
