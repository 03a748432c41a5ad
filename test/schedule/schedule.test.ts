import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { abortableSleep, backoff, debounce } from '../../src/schedule/schedule.ts';
import { testClock } from '../helpers/clock.ts';

describe('debounce', () => {
  it('fires at once when min is 0', () => {
    let n = 0;
    const d = debounce({ minMs: 0, maxMs: 0 }, () => n++, testClock());
    d.tick();
    d.tick();
    assert.equal(n, 2);
  });
  it('waits for min quiet time and resets on each tick', () => {
    const c = testClock();
    let n = 0;
    const d = debounce({ minMs: 100, maxMs: 1000 }, () => n++, c);
    d.tick();
    c.advance(90);
    d.tick();
    c.advance(90);
    assert.equal(n, 0);
    c.advance(10);
    assert.equal(n, 1);
  });
  it('never waits past max after the first tick of a burst', () => {
    const c = testClock();
    let fired: number[] = [];
    const d = debounce({ minMs: 100, maxMs: 250 }, () => fired.push(c.now()), c);
    for (let i = 0; i < 10; i++) {
      d.tick();
      c.advance(50);
    }
    assert.deepEqual(fired.slice(0, 2), [250, 500]);
    fired = [];
    d.cancel();
    assert.equal(d.pending, false);
  });
  it('flush fires a pending tick now; cancel drops it', () => {
    const c = testClock();
    let n = 0;
    const d = debounce({ minMs: 100, maxMs: 100 }, () => n++, c);
    d.tick();
    d.flush();
    assert.equal(n, 1);
    d.tick();
    d.cancel();
    c.advance(1000);
    assert.equal(n, 1);
    assert.equal(c.timers, 0);
  });
});

describe('backoff', () => {
  it('grows exponentially to the ceiling and gives up after attempts', () => {
    const p = { attempts: 5, baseMs: 100, maxMs: 1000, jitter: false };
    assert.deepEqual([0, 1, 2, 3, 4].map((a) => backoff(p, a)), [100, 200, 400, 800, 1000]);
    assert.equal(backoff(p, 5), null);
  });
  it('jitter stays within [ceiling/2, ceiling]', () => {
    const p = { attempts: 0, baseMs: 100, maxMs: 1000, jitter: true };
    assert.equal(backoff(p, 3, () => 0), 400);
    assert.equal(backoff(p, 3, () => 1), 800);
    assert.notEqual(backoff(p, 100, () => 0.5), null);
  });
});

describe('abortableSleep', () => {
  it('resolves after the clock advances and rejects on abort', async () => {
    const c = testClock();
    const p = abortableSleep(50, undefined, c);
    c.advance(50);
    await p;
    const ac = new AbortController();
    const q = abortableSleep(50, ac.signal, c);
    ac.abort(new Error('stop'));
    await assert.rejects(q, /stop/);
    assert.equal(c.timers, 0);
  });
});
