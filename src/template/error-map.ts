/**
 * Turns whatever Nunjucks throws into a TemplateError naming file:line:col. Nunjucks reports
 * parser/compiler positions 1-based and runtime positions 0-based; runtime errors are the ones
 * that wrap a thrown Error (`cause`). The innermost template named in the message wins, so an
 * error inside an included file points into that file.
 */
import { TemplateError } from '../errors.ts';
import { MultilineValueError } from './multiline.ts';

interface NunjucksError extends Error {
  lineno?: number;
  colno?: number;
  cause?: unknown;
  Update?: unknown;
}

const isNunjucksError = (e: unknown): e is NunjucksError =>
  e instanceof Error && typeof (e as NunjucksError).Update === 'function';

const PREFIX = /^\((?:[^()\n]|\([^()\n]*\))*\)(?: \[Line \d+(?:, Column \d+)?\])?\n\s*/;
const WHERE = /\(((?:[^()\n]|\([^()\n]*\))*)\) \[Line \d+/;

function stripPrefixes(message: string): string {
  let m = message;
  for (let i = 0; i < 50 && PREFIX.test(m); i++) m = m.replace(PREFIX, '');
  return m;
}

export function toTemplateError(e: unknown, resource: string, file: string): TemplateError {
  if (e instanceof TemplateError) return e;
  if (!isNunjucksError(e)) {
    const msg = e instanceof Error ? e.message : String(e);
    return new TemplateError(resource, { template: file }, msg, { cause: e });
  }
  // Descend through nested wrappers (an include that failed on its line 1 is wrapped again).
  let err: NunjucksError = e;
  let line = err.lineno;
  let col = err.colno;
  let runtime = err.cause instanceof Error;
  while (isNunjucksError(err.cause)) {
    err = err.cause;
    if (err.lineno !== undefined) {
      line = err.lineno;
      col = err.colno;
      runtime = err.cause instanceof Error;
    }
  }
  const root = err.cause instanceof Error ? err.cause : undefined;
  const where = WHERE.exec(e.message)?.[1] ?? file;
  const detail = root ? root.message : stripPrefixes(err.message);
  const base = runtime ? 1 : 0;
  return new TemplateError(
    resource,
    {
      template: where,
      line: typeof line === 'number' ? line + base : undefined,
      column: typeof line === 'number' && typeof col === 'number' ? col + base : undefined,
    },
    detail,
    { cause: root ?? e, keys: root instanceof MultilineValueError ? root.keys : undefined },
  );
}
