/**
 * The root pino logger: JSON lines (with `"level":"info"` labels) or human text (coloured on a
 * terminal), on stderr (stdout belongs to `render`/`keys`
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
  /** Colour the text format (default: when the destination is a terminal). */
  readonly color?: boolean;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const dest = (opts.destination ?? pino.destination({ fd: 2, sync: true })) as DestinationStream;
  const base = {
    level: opts.level ?? 'info',
    base: undefined,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (opts.format === 'text') {
    const color = opts.color ?? (opts.destination ? (opts.destination as { isTTY?: boolean }).isTTY === true : process.stderr.isTTY === true);
    return pino({ ...base, timestamp: false }, textStream(dest, color));
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

/** ANSI colours of the level names in the text format (on a terminal). */
const COLORS: Record<string, string> = { trace: '90', debug: '36', info: '32', warn: '33', error: '31', fatal: '35' };

/** Turn pino's JSON lines into `2026-01-01T00:00:00.000Z  INFO message key=value ...`. */
function textStream(dest: DestinationStream, color: boolean): DestinationStream {
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
      const name = String(level).toUpperCase().padStart(5);
      const shown = color && COLORS[String(level)] ? `\x1b[${COLORS[String(level)]}m${name}\x1b[0m` : name;
      dest.write(`${ts} ${shown} ${String(msg ?? '')}${fields ? ` ${fields}` : ''}\n`);
    },
  };
}
