/**
 * Everything a benchmark starts is registered here and stopped in reverse order at the end, on an
 * error, or on SIGINT/SIGTERM. `after` has the shape of node:test's, so the test helpers (real
 * etcd, temp dirs) can be reused as they are.
 */
import { readdir, readFile } from 'node:fs/promises';

export class Cleanup {
  readonly #fns: Array<() => unknown> = [];

  after(fn: () => unknown): void {
    this.#fns.push(fn);
  }

  async run(): Promise<void> {
    while (this.#fns.length > 0) {
      const fn = this.#fns.pop()!;
      try {
        await fn();
      } catch (e) {
        process.stderr.write(`bench cleanup: ${(e as Error).message}\n`);
      }
    }
  }
}

/** Signal a process group; false when it is gone. */
export function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Pids (other than ours) whose command line mentions `needle`, e.g. a HAProxy on a bench temp dir. */
export async function pidsMentioning(needle: string): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(needle)) out.push(Number(entry));
  }
  return out;
}

/** SIGKILL whatever still mentions `needle` (a last resort after a graceful stop). */
export async function killMentioning(needle: string): Promise<number> {
  const pids = await pidsMentioning(needle);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return pids.length;
}
