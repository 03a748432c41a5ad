/**
 * One parsed TOML file plus what is needed to point at a place in it: every ConfigError and
 * warning the loader produces goes through `failAt`/`warnAt`, which add `file:line:column` and the
 * dotted key path.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { ConfigError, errorMessage, formatLocation } from '../errors.ts';
import { formatPath, indexKeys, type KeyIndex, type Segment } from './locate.ts';

export type TomlTable = Record<string, unknown>;

export interface SourceDoc {
  /** Absolute path. */
  readonly file: string;
  /** Directory relative paths written in this file resolve against. */
  readonly dir: string;
  readonly text: string;
  readonly data: TomlTable;
  /** Built on first use. */
  index(): KeyIndex;
}

/** A place in a document: the document and the key path inside it. */
export interface At {
  readonly doc: SourceDoc;
  readonly path: readonly Segment[];
}

export function child(at: At, ...segs: readonly Segment[]): At {
  return { doc: at.doc, path: [...at.path, ...segs] };
}

export function root(doc: SourceDoc): At {
  return { doc, path: [] };
}

/** Parse TOML text; syntax errors become ConfigErrors with smol-toml's line and column. */
export function parseSource(file: string, text: string): SourceDoc {
  let data: TomlTable;
  try {
    data = parse(text, { unsafeKeyBehaviour: 'throw' }) as TomlTable;
  } catch (e) {
    if (e instanceof TomlError) {
      const detail = e.message.split('\n')[0].replace(/^Invalid TOML document: /, '');
      throw new ConfigError({ file, line: e.line, column: e.column }, `invalid TOML: ${detail}`, { cause: e });
    }
    throw new ConfigError({ file }, `invalid TOML: ${errorMessage(e)}`, { cause: e });
  }
  let index: KeyIndex | undefined;
  return {
    file,
    dir: dirname(file),
    text,
    data,
    index: () => (index ??= indexKeys(text)),
  };
}

/**
 * A document that was not read from a file (a `--backend` URI's query, options built in code):
 * `label` stands for the file in errors, which carry the key but no line.
 */
export function syntheticDoc(label: string, data: TomlTable, dir = process.cwd()): SourceDoc {
  let index: KeyIndex | undefined;
  return { file: label, dir, text: '', data, index: () => (index ??= indexKeys('')) };
}

/** Read and parse one TOML file. `from` (when given) is where the file was referenced. */
export async function readSource(file: string, from?: At): Promise<SourceDoc> {
  const abs = resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    const detail = `cannot read config file ${abs}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`;
    throw from ? failAt(from, detail, e) : new ConfigError({ file: abs }, detail, { cause: e });
  }
  return parseSource(abs, text);
}

export function failAt(at: At, detail: string, cause?: unknown): ConfigError {
  const pos = at.doc.index().nearest(at.path);
  const key = at.path.length > 0 ? formatPath(at.path) : undefined;
  return new ConfigError({ file: at.doc.file, line: pos?.line, column: pos?.column, key }, detail, { cause });
}

/** `file:line: key: message`, in the same shape as a ConfigError message. */
export function describeAt(at: At, message: string): string {
  const pos = at.doc.index().nearest(at.path);
  const where = formatLocation({ file: at.doc.file, line: pos?.line });
  return `${where}: ${at.path.length > 0 ? `${formatPath(at.path)}: ` : ''}${message}`;
}

export function isTable(v: unknown): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Short, value-free description of a TOML value's type (values may be secrets). */
export function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (isTable(v)) return 'a table';
  if (v instanceof Date || (typeof v === 'object' && v !== null)) return 'a date';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a float';
  return `a ${typeof v}`;
}
