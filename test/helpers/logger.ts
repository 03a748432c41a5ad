/** A pino logger for tests: silent by default, or capturing every line for assertions. */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export interface CapturedLogger {
  readonly logger: Logger;
  readonly lines: Array<Record<string, unknown>>;
  /** All messages joined, for `includes` assertions. */
  text(): string;
}

export function captureLogger(level = 'debug'): CapturedLogger {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  const logger = pino({ level }, stream);
  return { logger, lines, text: () => lines.map((l) => JSON.stringify(l)).join('\n') };
}
