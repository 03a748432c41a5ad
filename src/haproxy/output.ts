/** HAProxy's stdout/stderr: split into lines, forwarded to the logger, and kept in a small ring
 *  buffer so failures (a crash at start, a rejected reload) can quote HAProxy's own words. */
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';

export interface OutputLine {
  readonly seq: number;
  readonly text: string;
}

export class OutputBuffer {
  private readonly lines: OutputLine[] = [];
  private seq = 0;
  constructor(
    private readonly logger: Logger,
    private readonly capacity = 200,
  ) {}

  /** Sequence number of the next line: pass it to `since()` later. */
  get mark(): number {
    return this.seq;
  }

  /** Split `stream` into lines for the logger and the ring buffer, or copy it to `passthrough` as is. */
  attach(stream: Readable | null, passthrough?: NodeJS.WritableStream): void {
    if (!stream) return;
    if (passthrough) {
      stream.on('data', (chunk: Buffer) => passthrough.write(chunk));
      return;
    }
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) this.push(p);
    });
    stream.on('end', () => {
      if (partial) this.push(partial);
      partial = '';
    });
  }

  push(raw: string): void {
    const text = raw.replace(/\r$/, '');
    if (!text.trim()) return;
    this.lines.push({ seq: this.seq++, text });
    if (this.lines.length > this.capacity) this.lines.shift();
    this.logger[outputLevel(text)]({ haproxy: text }, 'haproxy output');
  }

  /** Lines pushed since `mark` (oldest first). */
  since(mark: number): string[] {
    return this.lines.filter((l) => l.seq >= mark).map((l) => l.text);
  }

  tail(n = 20): string[] {
    return this.lines.slice(-n).map((l) => l.text);
  }
}

/**
 * What HAProxy says on every reload and stop, tagged [WARNING] (or [ALERT] for the worker a stop
 * ends) although nothing is wrong: logged at info.
 */
const ROUTINE = [
  /\bProxy \S+ stopped\b/,
  /\bStopping (frontend|backend|proxy) /,
  /\bFormer worker \(\d+\) exited with code \d+/,
  /\bCurrent worker \(\d+\) exited with code (0|130|143) /,
  /\b(Exiting|Reexecuting) Master process/,
  /\bAll workers exited/,
  /\bLoading success\b/,
  /\bNew worker \(\d+\) forked/,
];

/** The log level of one line of HAProxy's output. */
export function outputLevel(text: string): 'error' | 'warn' | 'info' | 'debug' {
  if (ROUTINE.some((r) => r.test(text))) return 'info';
  return /^\[ALERT\]/.test(text) ? 'error' : /^\[WARNING\]/.test(text) ? 'warn' : /^\[NOTICE\]/.test(text) ? 'info' : 'debug';
}

/** HAProxy's [ALERT] lines without the `(pid)` noise: the human part of an error. */
export function alertLines(lines: readonly string[]): string[] {
  return lines.filter((l) => l.startsWith('[ALERT]')).map((l) => l.replace(/^\[ALERT\]\s+\(\d+\)\s+:\s*/, ''));
}
