/**
 * Failure log lines, rate limited by one gate (schedule/repeat.ts). A feed's backend outage
 * retried every second logs its error once (`backend-error`), then at most one
 * `backend-still-failing` summary a minute while the same error repeats, and one
 * `backend-recovered` when it ends. A resource's failing passes do the same: `render-failed` once
 * per message in a failing streak (a broken template on every change is one error line),
 * `render-failed-again` at debug, `render-still-failing` a minute, `render-recovered`.
 * A different error is logged in full at once.
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

export function logRenderFailure(gate: RepeatGate, logger: Logger, code: string, err: string): void {
  const v = gate.failed(`${code} ${err}`);
  if (v.log === 'full') logger.error({ event: 'render-failed', code, err }, 'resource failed; the destination was left as it was');
  else if (v.log === 'summary') {
    const since = new Date(v.sinceMs).toISOString();
    logger.warn({ event: 'render-still-failing', code, err, failures: v.count, since }, `resource still failing (${v.count} times since ${since})`);
  } else logger.debug({ event: 'render-failed-again', code, err, failures: v.count }, 'resource still failing with the same error');
}

export function logRenderRecovered(gate: RepeatGate, logger: Logger): void {
  const r = gate.recovered();
  if (!r) return;
  const since = new Date(r.sinceMs).toISOString();
  logger.info({ event: 'render-recovered', failures: r.count, since }, `resource renders again (${r.count} failed pass(es) since ${since})`);
}
