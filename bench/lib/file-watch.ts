/**
 * Notices when a file is replaced with contents that include a marker: inotify (fs.watch on the
 * directory, since the destination is swapped in by rename), with a slow poll as a safety net.
 * The time recorded is when the event arrived, before the confirming read.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { performance } from 'node:perf_hooks';

interface Waiter {
  readonly marker: string;
  readonly resolve: (at: number) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class FileWatch {
  readonly #file: string;
  readonly #watcher: FSWatcher;
  readonly #poll: NodeJS.Timeout;
  #waiter?: Waiter;
  #checking = false;
  #again = false;

  constructor(file: string) {
    this.#file = file;
    const name = basename(file);
    this.#watcher = watch(dirname(file), (_event, f) => {
      if (f === name) void this.#check(performance.now());
    });
    this.#poll = setInterval(() => void this.#check(performance.now()), 100);
    this.#poll.unref();
  }

  /** Resolves with performance.now() at the event that showed `marker`, or rejects after `timeoutMs`. */
  waitFor(marker: string, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`${this.#file} did not show ${JSON.stringify(marker)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiter = { marker, resolve, reject, timer };
    });
  }

  close(): void {
    this.#watcher.close();
    clearInterval(this.#poll);
    if (this.#waiter) clearTimeout(this.#waiter.timer);
  }

  async #check(at: number): Promise<void> {
    if (!this.#waiter) return;
    if (this.#checking) {
      this.#again = true;
      return;
    }
    this.#checking = true;
    try {
      const text = await readFile(this.#file, 'utf8').catch(() => '');
      const w = this.#waiter;
      if (w && text.includes(w.marker)) {
        this.#waiter = undefined;
        clearTimeout(w.timer);
        w.resolve(at);
      }
    } finally {
      this.#checking = false;
      if (this.#again) {
        this.#again = false;
        void this.#check(performance.now());
      }
    }
  }
}
