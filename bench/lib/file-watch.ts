/**
 * Notices when a file is replaced with contents that include a marker: inotify (fs.watch on the
 * directory, since the destination is swapped in by rename), with a slow poll as a safety net.
 * The time recorded is when the event arrived, before the confirming read. The read is a
 * synchronous byte search (no decode): the runner under test shares this event loop, and a 1.3 MB
 * async read + decode per event or poll took ~20 ms of it away from the pass being timed.
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { performance } from 'node:perf_hooks';

interface Waiter {
  readonly marker: Buffer;
  readonly resolve: (at: number) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class FileWatch {
  readonly #file: string;
  readonly #watcher: FSWatcher;
  readonly #poll: NodeJS.Timeout;
  #waiter?: Waiter;

  constructor(file: string) {
    this.#file = file;
    const name = basename(file);
    this.#watcher = watch(dirname(file), (_event, f) => {
      if (f === name) this.#check(performance.now());
    });
    this.#poll = setInterval(() => this.#check(performance.now()), 1000);
    this.#poll.unref();
  }

  /** Resolves with performance.now() at the event that showed `marker`, or rejects after `timeoutMs`. */
  waitFor(marker: string, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`${this.#file} did not show ${JSON.stringify(marker)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiter = { marker: Buffer.from(marker), resolve, reject, timer };
    });
  }

  close(): void {
    this.#watcher.close();
    clearInterval(this.#poll);
    if (this.#waiter) clearTimeout(this.#waiter.timer);
  }

  #check(at: number): void {
    const w = this.#waiter;
    if (!w) return;
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.#file);
    } catch {
      return;
    }
    if (bytes.includes(w.marker)) {
      this.#waiter = undefined;
      clearTimeout(w.timer);
      w.resolve(at);
    }
  }
}
