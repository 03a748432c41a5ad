/** Wait for a condition with a deadline: the only way tests wait (no fixed sleeps). */
import { setTimeout as delay } from 'node:timers/promises';

export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  readonly message?: string;
}

/** Poll `probe` until it returns a truthy value (which is returned) or the deadline passes. */
export async function waitFor<T>(probe: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${opts.timeoutMs ?? 10_000} ms waiting for ${opts.message ?? 'condition'} (last: ${detail})`);
    }
    await delay(opts.intervalMs ?? 20);
  }
}
