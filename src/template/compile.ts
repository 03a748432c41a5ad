/**
 * Compiles template source the way nunjucks' own `compiler.compile` does (parse → transform →
 * codegen), with one AST pass in between: every boolean context (`if`/`elif` conditions, inline
 * `a if c else b`, `not x`, and the operands of `and`/`or` inside them) tests truthiness the
 * pongo2/Jinja way, so an empty list or map is false. JavaScript calls `[]` true, which would make
 * the ubiquitous `{% if ls("/services/x") %}` always pass.
 */
import { createRequire } from 'node:module';
import type nunjucks from 'nunjucks';

const require = createRequire(import.meta.url);

interface AstNode {
  lineno: number;
  colno: number;
  readonly fields: readonly string[];
  [field: string]: unknown;
}
type NodeCtor = new (lineno: number, colno: number, ...fields: unknown[]) => AstNode;

const nodes = require('nunjucks/src/nodes.js') as Record<string, NodeCtor>;
const parser = require('nunjucks/src/parser.js') as { parse(src: string, extensions: unknown, opts: unknown): AstNode };
const transformer = require('nunjucks/src/transformer.js') as { transform(ast: AstNode, asyncFilters: unknown, name: string): AstNode };
const compiler = require('nunjucks/src/compiler.js') as {
  Compiler: new (name: string, throwOnUndefined: boolean) => { compile(ast: AstNode): void; getCode(): string };
};

/** Global the rewritten conditions call. */
export const TRUTHY = '__keyplate_truthy';

/** pongo2/Jinja truthiness: empty strings, lists, sets, maps and plain objects are false. */
export function truthy(v: unknown): boolean {
  if (Array.isArray(v) || typeof v === 'string') return v.length > 0;
  if (v instanceof Set || v instanceof Map) return v.size > 0;
  if (v !== null && typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) return Object.keys(v).length > 0;
    return true;
  }
  return Boolean(v) && !Number.isNaN(v);
}

const is = (n: unknown, ...types: string[]): boolean => types.some((t) => n instanceof nodes[t]);

function boolify(n: AstNode, done: WeakSet<AstNode>): AstNode {
  if (is(n, 'And') || is(n, 'Or')) {
    n.left = boolify(n.left as AstNode, done);
    n.right = boolify(n.right as AstNode, done);
    return n;
  }
  if (is(n, 'Not')) {
    done.add(n);
    n.target = boolify(n.target as AstNode, done);
    return n;
  }
  if (is(n, 'Compare') || is(n, 'Literal') || is(n, 'In') || is(n, 'Is')) return n;
  const fn = new nodes.Symbol(n.lineno, n.colno, TRUTHY);
  return new nodes.FunCall(n.lineno, n.colno, fn, new nodes.NodeList(n.lineno, n.colno, [n]));
}

function walk(n: unknown, done: WeakSet<AstNode>): void {
  if (Array.isArray(n)) {
    for (const c of n) walk(c, done);
    return;
  }
  if (!(is(n, 'Node'))) return;
  const node = n as AstNode;
  if ((is(node, 'If') || is(node, 'IfAsync') || is(node, 'InlineIf')) && !done.has(node)) {
    done.add(node);
    node.cond = boolify(node.cond as AstNode, done);
  } else if (is(node, 'Not') && !done.has(node)) {
    done.add(node);
    node.target = boolify(node.target as AstNode, done);
  }
  for (const f of node.fields) walk(node[f], done);
}

interface EnvInternals {
  extensionsList: unknown;
  asyncFilters: unknown;
  opts: { throwOnUndefined?: boolean };
}

/** Compile Nunjucks source into the `{type:'code'}` object `new nunjucks.Template` accepts. */
export function compileSource(src: string, name: string, env: nunjucks.Environment): { type: 'code'; obj: unknown } {
  const e = env as unknown as EnvInternals;
  const ast = parser.parse(src, e.extensionsList, e.opts);
  walk(ast, new WeakSet());
  const c = new compiler.Compiler(name, Boolean(e.opts.throwOnUndefined));
  c.compile(transformer.transform(ast, e.asyncFilters, name));
  // Same code generation and evaluation nunjucks performs for every template it compiles.
  const obj = new Function(c.getCode())() as unknown;
  return { type: 'code', obj };
}
