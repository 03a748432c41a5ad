/**
 * What `keyplate check` finds in a template without rendering it, every problem in one pass: a
 * syntax error, every filter the engine does not have, and every `include`/`import`/`from`/`extends`
 * of a literal name that does not resolve (relative to the including file, like the loader), each
 * at the file:line:col of the construct; the templates it reaches are checked the same way.
 * `include … ignore missing` and names computed at render time are left to the render.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type nunjucks from 'nunjucks';
import { TemplateError } from '../errors.ts';
import { unknownFilterMessage, unknownFilters } from './compile.ts';
import { toTemplateError } from './error-map.ts';
import { findNodes, is, parseSource, type AstNode } from './parse.ts';
import { pongo2ToNunjucks } from './pongo2.ts';

interface EnvInternals {
  extensionsList: unknown;
  opts: unknown;
}

type Read = { text: string } | { error: NodeJS.ErrnoException };

function read(path: string): Read {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (e) {
    return { error: e as NodeJS.ErrnoException };
  }
}

/** The template a tag names, when it is a string literal. */
function literalName(n: AstNode): string | undefined {
  const t = n.template as AstNode | undefined;
  return is(t, 'Literal') && typeof t!.value === 'string' ? t!.value : undefined;
}

/** Every problem of `path` and of the templates it reaches; [] when there is none. */
export function templateProblems(path: string, resource: string, env: nunjucks.Environment): TemplateError[] {
  const e = env as unknown as EnvInternals;
  const problems: TemplateError[] = [];
  const at = (file: string, n: AstNode, message: string) =>
    new TemplateError(resource, { template: file, line: n.lineno + 1, column: n.colno + 1 }, message);
  const root = read(path);
  if ('error' in root) return [new TemplateError(resource, { template: path }, `cannot read template: ${root.error.message}`, { cause: root.error })];
  const queue: Array<[string, string]> = [[path, root.text]];
  const seen = new Set([path]);
  while (queue.length > 0) {
    const [file, text] = queue.shift()!;
    let ast: AstNode;
    try {
      ast = parseSource(pongo2ToNunjucks(text), e.extensionsList, e.opts);
    } catch (err) {
      problems.push(toTemplateError(err, resource, file));
      continue;
    }
    for (const n of unknownFilters(ast, env)) problems.push(at(file, n, unknownFilterMessage(n)));
    for (const n of findNodes(ast, (x) => is(x, 'Include', 'Import', 'FromImport', 'Extends'))) {
      const name = literalName(n);
      if (name === undefined) continue;
      const target = isAbsolute(name) ? name : resolve(dirname(file), name);
      if (seen.has(target)) continue;
      const got = read(target);
      if ('text' in got) {
        seen.add(target);
        queue.push([target, got.text]);
      } else if (got.error.code !== 'ENOENT') problems.push(at(file, n, `cannot read template ${target}: ${got.error.message}`));
      else if (n.ignoreMissing !== true) problems.push(at(file, n, `template not found: ${target}`));
    }
  }
  return problems;
}
