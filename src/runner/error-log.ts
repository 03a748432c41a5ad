/**
 * The feed's log lines for backend failures, rate limited (schedule/repeat.ts): an outage retried
 * every second logs its error once (`backend-error`), then at most one `backend-still-failing`
 * summary a minute while the same error repeats, and one `backend-recovered` when it ends. A
 * different error is logged in full at once.
 */
import type { Logger } from 'pino';
import type { RepeatGate } from '../schedule/repeat.ts';

export function logBackendError(gate: RepeatGate, logger: Logger, err: string): void {
  const v = gate.failed(err);
  if (v.log === 'full') logger.warn({ event: 'backend-error', err }, 'backend error');
  else if (v.log === 'summary') {
    const since = new Date(v.sinceMs).toISOString();
    logger.warn({ event: 'backend-still-failing', err, failures: v.count, since }, `backend still failing (${v.count} times since ${since})`);
  } else logger.debug({ event: 'backend-error', err, failures: v.count }, 'backend error (repeated)');
}

export function logBackendRecovered(gate: RepeatGate, logger: Logger): void {
  const r = gate.recovered();
  if (!r) return;
  const since = new Date(r.sinceMs).toISOString();
  logger.info({ event: 'backend-recovered', failures: r.count, since }, `backend recovered (${r.count} failure(s) since ${since})`);
}
