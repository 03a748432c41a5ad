/**
 * The Go text/template engine behind `engine = "go"` (and every confd `conf.d` template): parse
 * (cached while the text is unchanged), execute with confd's function map over the render's tree,
 * the template named after the file's base name (confd's `template.New(filepath.Base(src))`), and
 * the dot set to the resource's `vars` (confd executes with nil data: `{{.}}` is `<no value>`).
 * Failures become TemplateError(file:line:col).
 */
import { basename } from 'node:path';
import { TemplateError } from '../../errors.ts';
import type { KeyTree } from '../../tree/key-tree.ts';
import { SourceCache } from '../cache.ts';
import type { DnsCache } from '../dns.ts';
import type { TemplateFn } from '../functions.ts';
import { MultilineValueError } from '../multiline.ts';
import { GoTemplateError } from './errors.ts';
import { execute } from './exec.ts';
import { goFunctions, GO_FUNCTION_NAMES } from './functions.ts';
import { parseTemplate, type TemplateSet } from './parser.ts';
import { formatParser } from './printf.ts';

const BREAK = /[\r\n\0]/;

export interface GoRenderInput {
  readonly resource: string;
  readonly tree: KeyTree;
  readonly dot?: unknown;
  readonly missingKeys?: 'error' | 'empty';
  readonly dns: DnsCache;
  readonly now: Date;
  /** The multi-line guard for each action's value (absent: allowed). */
  readonly check?: (v: unknown) => unknown;
}

export interface GoEngine {
  compile(source: string, file: string, resource: string): TemplateSet;
  render(source: string, file: string, input: GoRenderInput): string;
}

function toError(e: unknown, resource: string, file: string): TemplateError {
  if (e instanceof TemplateError) return e;
  if (e instanceof GoTemplateError) {
    const keys = e.cause instanceof MultilineValueError ? e.cause.keys : undefined;
    return new TemplateError(resource, { template: file, line: e.line, column: e.column }, e.message, { cause: e, keys });
  }
  return new TemplateError(resource, { template: file }, e instanceof Error ? e.message : String(e), { cause: e });
}

export function createGoEngine(statics: Readonly<Record<string, TemplateFn>>): GoEngine {
  const cache = new SourceCache<TemplateSet>();
  const parseFormat = formatParser();
  const hasFunction = (n: string): boolean => GO_FUNCTION_NAMES.has(n);
  const compile = (source: string, file: string, resource: string): TemplateSet => {
    try {
      return cache.get(file, source, () => parseTemplate(basename(file), source, hasFunction));
    } catch (e) {
      throw toError(e, resource, file);
    }
  };
  return {
    compile,
    render(source, file, input) {
      const set = compile(source, file, input.resource);
      const funcs = goFunctions({ statics, tree: input.tree, missingKeys: input.missingKeys, dns: input.dns, now: input.now, parseFormat });
      const check = input.check;
      const output = check === undefined ? undefined : (_v: unknown, text: string): string => {
        if (BREAK.test(text)) check(text);
        return text;
      };
      try {
        return execute(set, basename(file), file, source, input.dot, { funcs, output });
      } catch (e) {
        throw toError(e, input.resource, file);
      }
    },
  };
}
