import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logRenderFailure, logRenderRecovered } from '../../src/runner/error-log.ts';
import { RepeatGate } from '../../src/schedule/repeat.ts';
import { testClock } from '../helpers/clock.ts';
import { captureLogger } from '../helpers/logger.ts';

test('a failing resource: each failure once at error, repeats at debug, a summary a minute, one recovery line', () => {
  const clock = testClock(1_000);
  const gate = new RepeatGate(clock, 60_000, (m) => m);
  const log = captureLogger('debug');
  const events = () => log.lines.map((l) => `${l.event}:${l.level}`);
  const broken = 'x.tmpl:12:3: unexpected token';
  logRenderFailure(gate, log.logger, 'E_RENDER', broken);
  logRenderFailure(gate, log.logger, 'E_RENDER', broken);
  // the same text at another line is another error: a fix that moved the problem is shown
  logRenderFailure(gate, log.logger, 'E_RENDER', 'x.tmpl:14:3: unexpected token');
  logRenderFailure(gate, log.logger, 'E_CHECK', 'haproxy -c refused it');
  clock.advance(60_000);
  logRenderFailure(gate, log.logger, 'E_RENDER', broken);
  logRenderRecovered(gate, log.logger);
  logRenderRecovered(gate, log.logger); // nothing to recover from any more
  assert.deepEqual(events(), [
    'render-failed:50',
    'render-failed-again:20',
    'render-failed:50',
    'render-failed:50',
    'render-still-failing:40',
    'render-recovered:30',
  ]);
  assert.equal(log.lines[4].failures, 5);
  assert.equal(log.lines[5].failures, 5);
  // after a recovery, the same failure is news again
  logRenderFailure(gate, log.logger, 'E_RENDER', broken);
  assert.equal(log.lines.at(-1)?.event, 'render-failed');
});
