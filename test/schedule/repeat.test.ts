/** RepeatGate: an error repeated every second is logged once, summarized at most once a minute, and its recovery reported once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RepeatGate } from '../../src/schedule/repeat.ts';
import { testClock } from '../helpers/clock.ts';

test('repeat gate: once in full, then quiet, a summary a minute, a new message in full, recovery once', () => {
  const clock = testClock(1_000_000);
  const gate = new RepeatGate(clock, 60_000);
  assert.equal(gate.recovered(), undefined, 'nothing to recover from');
  const verdicts: string[] = [];
  for (let i = 0; i < 150; i++) {
    verdicts.push(gate.failed(`connect ECONNREFUSED 127.0.0.1:${40_000 + (i % 3)}`).log); // digits differ, same error
    clock.advance(1_000);
  }
  assert.equal(verdicts[0], 'full');
  assert.deepEqual(verdicts.map((v, i) => (v === 'quiet' ? -1 : i)).filter((i) => i >= 0), [0, 60, 120], 'full at first, then one summary a minute');
  const summary = gate.failed('connect ECONNREFUSED 127.0.0.1:40000');
  assert.equal(summary.count, 151);
  assert.equal(summary.sinceMs, 1_000_000);
  assert.equal(gate.failed('HTTP 500 from /version').log, 'full', 'a different error is logged at once');
  assert.equal(gate.failed('connect ECONNREFUSED 127.0.0.1:40000').log, 'quiet', 'alternating errors: each is logged once');
  assert.equal(gate.failed('HTTP 500 from /version').log, 'quiet');
  assert.equal(gate.failing, true);
  assert.deepEqual(gate.recovered(), { count: 154, sinceMs: 1_000_000 });
  assert.equal(gate.recovered(), undefined, 'recovery reported once');
  assert.equal(gate.failed('HTTP 500 from /version').log, 'full', 'a new outage starts over');
});
