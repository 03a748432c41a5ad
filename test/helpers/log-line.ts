/**
 * One JSON log line of a keyplate child process. keyplate writes `"level":"info"` (a label);
 * tests compare levels as pino numbers, so the label is turned back into its number here.
 */
const NUMBERS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export function parseLogLine<T = Record<string, unknown>>(text: string): T {
  const o = JSON.parse(text) as Record<string, unknown>;
  if (typeof o.level === 'string' && o.level in NUMBERS) o.level = NUMBERS[o.level];
  return o as T;
}
