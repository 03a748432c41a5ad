/**
 * The watchdog of one etcd v3 watch stream. A stream can go silent without an error: a NAT or
 * firewall dropped the connection, a member hangs, a proxy froze. Once the stream has said
 * nothing for half of `timeoutMs`, the watchdog asks etcd for a progress report (a
 * `progress_request`, answered at once by a live etcd ≥ 3.4 even when no key changes); when it
 * has still heard nothing after `timeoutMs`, it declares the stream dead (`onSilent`) and the
 * hub rebuilds it on a fresh connection. Any response (events, creates, progress) is activity.
 */
import type { Clock, TimerHandle } from '../../schedule/schedule.ts';

export interface WatchdogOptions {
  readonly timeoutMs: number;
  readonly clock: Clock;
  /** Ask the stream for a sign of life (write a progress request). */
  readonly probe: () => void;
  /** The stream said nothing for `idleMs` ≥ timeoutMs, a probe included. Called once. */
  readonly onSilent: (idleMs: number) => void;
}

export class StreamWatchdog {
  #last = 0;
  #probed = false;
  #timer?: TimerHandle;
  #running = false;

  constructor(private readonly o: WatchdogOptions) {}

  /** Start watching (the stream was just opened: that counts as activity). */
  start(): void {
    this.#running = true;
    this.activity();
    this.#arm();
  }

  /** Something arrived on the stream. */
  activity(): void {
    this.#last = this.o.clock.now();
    this.#probed = false;
  }

  stop(): void {
    this.#running = false;
    this.o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Wake up when the next step is due: the probe at half the timeout, the verdict at the timeout. */
  #arm(): void {
    const due = this.#last + (this.#probed ? this.o.timeoutMs : this.o.timeoutMs / 2);
    const wait = Math.max(1, due - this.o.clock.now());
    this.#timer = this.o.clock.setTimeout(() => this.#tick(), wait);
  }

  #tick(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const idle = this.o.clock.now() - this.#last;
    if (idle >= this.o.timeoutMs) {
      this.stop();
      this.o.onSilent(idle);
      return;
    }
    if (idle >= this.o.timeoutMs / 2 && !this.#probed) {
      this.#probed = true;
      this.o.probe();
    }
    this.#arm();
  }
}
