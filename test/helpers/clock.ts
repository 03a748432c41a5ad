/** A manual clock: time moves only when the test says so. */
import type { Clock, TimerHandle } from '../../src/schedule/schedule.ts';

export interface TestClock extends Clock {
  advance(ms: number): void;
  readonly timers: number;
}

export function testClock(start = 0): TestClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return id as unknown as TimerHandle;
    },
    clearTimeout(h) {
      if (h !== undefined) timers.delete(h as unknown as number);
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = target;
    },
    get timers() {
      return timers.size;
    },
  };
}
