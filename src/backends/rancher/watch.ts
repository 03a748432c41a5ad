/**
 * Change detection on the metadata `/version` value. Long poll
 * `/version?wait=true&value=<last>&maxWait=<s>` as confd and go-rancher-metadata do; a server that
 * answers at once with the same version twice in a row does not support it (pre-2016-11), so the
 * watch logs that and polls `/version` every `poll_interval` instead, like rancher-haproxy's 10 s loop.
 * Errors are reported and retried with capped exponential backoff and jitter; the first success
 * after an error reports 'connected'. A change is reported without deltas: the consumer re-reads.
 */
import type { Logger } from 'pino';
import { BackendError, errorMessage } from '../../errors.ts';
import { abortableSleep, backoff, systemClock, type Clock, type RetryPolicy } from '../../schedule/schedule.ts';
import { RepeatGate } from '../../schedule/repeat.ts';
import type { MetadataClient } from './http.ts';
import type { Revision, WatchEvent } from '../contract.ts';

export interface VersionWatchOptions {
  readonly backend: string;
  readonly client: MetadataClient;
  readonly logger: Logger;
  /** Try the long poll first (default mode); false = poll only. */
  readonly longPoll: boolean;
  readonly maxWaitS: number;
  readonly pollIntervalMs: number;
  readonly backoffMaxMs: number;
  /** Injected for tests; default the system clock and Math.random. */
  readonly clock?: Clock;
  readonly random?: () => number;
}

/** Retries after watch errors: 250–500 ms, doubling up to `backoff_max`, with jitter. */
export const rancherRetry = (maxMs: number): RetryPolicy => ({ attempts: 0, baseMs: 500, maxMs, jitter: true });
/** Same-version answers faster than this fraction of maxWait mean "no long poll here". */
const QUICK_FRACTION = 0.5;
const QUICK_ANSWERS_TO_DOWNGRADE = 2;

/** Run until `signal` aborts (or a non-retryable error). Never rejects. */
export async function watchVersion(
  o: VersionWatchOptions,
  onEvent: (e: WatchEvent) => void,
  since: Revision | undefined,
  signal: AbortSignal,
): Promise<void> {
  const clock = o.clock ?? systemClock;
  const now = () => clock.now();
  const emit = (e: WatchEvent) => {
    try {
      onEvent(e);
    } catch (err) {
      o.logger.error({ err: errorMessage(err) }, 'rancher watch: event handler threw');
    }
  };
  let version = since;
  let longPoll = o.longPoll;
  let quick = 0;
  let failures = 0;
  const gate = new RepeatGate(clock);
  while (!signal.aborted) {
    try {
      let next: string;
      if (version === undefined) {
        next = await o.client.version(signal);
      } else if (longPoll) {
        const started = now();
        next = await o.client.waitVersion(version, o.maxWaitS, signal);
        quick = next === version && now() - started < o.maxWaitS * 1000 * QUICK_FRACTION ? quick + 1 : 0;
        if (quick >= QUICK_ANSWERS_TO_DOWNGRADE) {
          longPoll = false;
          o.logger.warn(
            { event: 'long-poll-unsupported', url: o.client.baseUrl, pollIntervalMs: o.pollIntervalMs },
            'rancher metadata server does not support long polling (it answers at once); polling /version instead',
          );
        }
      } else {
        await abortableSleep(o.pollIntervalMs, signal, clock);
        next = await o.client.version(signal);
      }
      if (failures > 0) {
        o.logger.info({ event: 'watch-reconnected', failures }, 'rancher metadata reachable again');
        failures = 0;
        gate.recovered();
        emit({ type: 'connected' });
      }
      if (version !== undefined && next !== version) emit({ type: 'change', revision: next });
      version = next;
    } catch (e) {
      if (signal.aborted) return;
      failures += 1;
      const error = e instanceof BackendError ? e : new BackendError(o.backend, `watch: ${errorMessage(e)}`, { cause: e });
      emit({ type: 'error', error, willRetry: error.retryable });
      if (!error.retryable) return;
      const delay = backoff(rancherRetry(o.backoffMaxMs), failures - 1, o.random) ?? o.backoffMaxMs;
      // The feed logs the outage (once, then a summary a minute): only a new kind of failure is a warning here.
      const fields = { event: 'watch-failed', err: error.message, failures, retryInMs: Math.round(delay) };
      if (gate.failed(error.message).log === 'full') o.logger.warn(fields, 'rancher watch failed, retrying');
      else o.logger.debug(fields, 'rancher watch failed again, retrying');
      await abortableSleep(delay, signal, clock).catch(() => undefined);
    }
  }
}
