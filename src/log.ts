/**
 * The root pino logger: JSON lines or human text, on stderr (stdout belongs to `render`/`keys`
 * output). Every line, text or JSON, passes through the one masking function (secrets/mask.ts):
 * credentials in URLs and values of secret-looking keys never reach the log, at any level.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import { mask } from './secrets/mask.ts';
/** `text` (human readable) or `json` (one object per line). */
export type LogFormat = 'text' | 'json';

export const REDACT_PATHS = [
  'password',
  '*.password',
  'options.password',
  'options.client_key',
  'auth.password',
  '*.ssl_key',
  'ssl_key',
  'token',
  '*.token',
];

export interface LoggerOptions {
  readonly level?: string;
  readonly format?: LogFormat;
  /** Where to write; default stderr. */
  readonly destination?: DestinationStream | NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const dest = (opts.destination ?? pino.destination({ fd: 2, sync: true })) as DestinationStream;
  const base = {
    level: opts.level ?? 'info',
    base: undefined,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  if (opts.format === 'text') {
    return pino({ ...base, timestamp: false }, textStream(dest));
  }
  return pino({ ...base, timestamp: pino.stdTimeFunctions.isoTime }, maskedStream(dest));
}

/** JSON lines, each masked. */
function maskedStream(dest: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch {
        dest.write(String(mask(line)));
        return;
      }
      dest.write(`${JSON.stringify(mask(o))}\n`);
    },
  };
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Turn pino's JSON lines into `2026-01-01T00:00:00.000Z  INFO message key=value ...`. */
function textStream(dest: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      let o: Record<string, unknown>;
      try {
        o = mask(JSON.parse(line)) as Record<string, unknown>;
      } catch {
        dest.write(String(mask(line)));
        return;
      }
      const { level, msg, time, ...rest } = o;
      const fields = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
        .join(' ');
      const ts = typeof time === 'string' ? time : new Date().toISOString();
      dest.write(`${ts} ${(LEVELS[level as number] ?? String(level)).padStart(5)} ${String(msg ?? '')}${fields ? ` ${fields}` : ''}\n`);
    },
  };
}
