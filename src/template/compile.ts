/**
 * Compiles template source the way nunjucks' own `compiler.compile` does (parse → transform →
 * codegen), with one AST pass in between: every boolean context (`if`/`elif` conditions, inline
 * `a if c else b`, `not x`, and the operands of `and`/`or` inside them) tests truthiness the
 * pongo2/Jinja way, so an empty list or map is false. JavaScript calls `[]` true, which would make
 * the ubiquitous `{% if ls("/services/x") %}` always pass.
 *
 * Code generation is nunjucks' own, through a subclass that emits cheaper code for the per-iteration
 * loop bookkeeping and for function calls; what the generated code does is unchanged.
 */
import type nunjucks from 'nunjucks';
import compilerModule from 'nunjucks/src/compiler.js';
import libModule from 'nunjucks/src/lib.js';
import transformerModule from 'nunjucks/src/transformer.js';
import type { CompiledStore } from './compiled-store.ts';
import { CHUNK_CHARS } from './chunks.ts';
import { OUTPUT_CHECK } from './multiline.ts';
import { findNodes, is, nodes, parseSource, type AstNode } from './parse.ts';

const transformer = transformerModule as { transform(ast: AstNode, asyncFilters: unknown, name: string): AstNode };
interface CompilerInstance {
  compile(ast: AstNode, frame?: unknown): void;
  getCode(): string;
  _emit(code: string): void;
  _emitLine(code: string): void;
  _compileExpression(node: AstNode, frame: unknown): void;
  _getNodeName(node: AstNode): string;
  _tmpid(): string;
  _templateName(): string;
  compileFunCall(node: AstNode, frame: unknown): void;
  compileLiteral(node: AstNode, frame: unknown): void;
  readonly buffer: string;
  _emitLoopBindings(node: AstNode, arr: string, i: string, len: string): void;
}
const lib = libModule as { TemplateError: new (message: string, lineno: number, colno: number) => Error };
const compiler = compilerModule as {
  Compiler: new (name: string, throwOnUndefined: boolean) => CompilerInstance;
};

/** Names of the helpers defined at the top of every compiled template. */
const LOOP_HELPER = '__keyplate_loop';
const CALL_HELPER = '__keyplate_call';
const OUT_HELPER = '__keyplate_out';
/** Calls with up to this many arguments go through a fixed-arity helper instead of an argument array. */
const MAX_DIRECT_ARGS = 3;
/** Finished chunks of a function's `output`, joined once at its end (see compileOutput). */
const CHUNKS = '__keyplate_chunks';
/** nunjucks' own lines that declare, return and hand over the `output` buffer of a function. */
const OUTPUT_LINES: Readonly<Record<string, string>> = {
  'var output = "";': `var output = ""; var ${CHUNKS} = [];`,
  'cb(null, output);': `cb(null, ${CHUNKS}.join('') + output);`,
  'return output;': `return ${CHUNKS}.join('') + output;`,
};

/**
 * Helpers defined at the top of every compiled template (as source, so compiled code stays
 * self-contained). `${LOOP_HELPER}(frame, i, len)` sets `loop.index/index0/revindex/revindex0/
 * first/last/length` exactly as nunjucks' seven `frame.set("loop.x", v)` calls do (create `loop` in
 * the loop's own frame when falsy, then assign; strict mode like nunjucks' runtime, so the same
 * errors), without splitting seven dotted names per iteration.
 */
const PRELUDE = `var ${LOOP_HELPER} = (function () { "use strict"; return function (frame, i, len) {
var vars = frame.variables; var loop = vars.loop; if (!loop) { loop = vars.loop = {}; }
loop.index = i + 1; loop.index0 = i; loop.revindex = len - i; loop.revindex0 = len - i - 1;
loop.first = i === 0; loop.last = i === len - 1; loop.length = len; }; })();
${callHelpers()}
function ${OUT_HELPER}(context, v) {
if (typeof v === 'string') { if (v.indexOf('\\n') < 0 && v.indexOf('\\r') < 0 && v.indexOf('\\0') < 0) return v; }
else if (v === null || typeof v !== 'object' || v.__keyplate_multiline === true) return v;
var check = context.lookup('${OUTPUT_CHECK}'); return typeof check === 'function' ? check(v) : v; }
`;

/**
 * \`${CALL_HELPER}N(fn, name, context, a1…aN)\`: nunjucks' \`runtime.callWrap(fn, name, context, [a1…aN])\`
 * (same checks, same messages, same \`this\`) without building the argument array on every call.
 */
function callHelpers(): string {
  let out = `var ${CALL_HELPER}_apply = Function.prototype.apply, ${CALL_HELPER}_call = Function.prototype.call;\n`;
  for (let n = 0; n <= MAX_DIRECT_ARGS; n++) {
    const params = Array.from({ length: n }, (_, i) => `a${i}`);
    const list = params.map((p) => `, ${p}`).join('');
    out += `function ${CALL_HELPER}${n}(obj, name, context${list}) { "use strict";
if (!obj) { throw new Error('Unable to call \`' + name + '\`, which is undefined or falsey'); }
else if (typeof obj !== 'function') { throw new Error('Unable to call \`' + name + '\`, which is not a function'); }
return obj.apply === ${CALL_HELPER}_apply ? ${CALL_HELPER}_call.call(obj, context${list}) : obj.apply(context, [${params.join(', ')}]); }
`;
  }
  return out;
}

/** `frame.set("name", t_1);`: a plain (undotted, no resolve-up) set is one property write. */
const PLAIN_SET = /^frame\.set\("([A-Za-z_$][\w$]*)", (t_\d+)\);$/;

/** nunjucks' compiler with cheaper per-iteration loop bookkeeping; the output is otherwise identical. */
class KeyplateCompiler extends compiler.Compiler {
  override _emitLoopBindings(_node: AstNode, _arr: string, i: string, len: string): void {
    this._emitLine(`${LOOP_HELPER}(frame, ${i}, ${len});`);
  }

  /** Same code as nunjucks' compileFunCall (lineno/colno bookkeeping, evaluation order, errors),
   *  calling a fixed-arity helper when the argument count is small. */
  override compileFunCall(node: AstNode, frame: unknown): void {
    const args = (node.args as { children: AstNode[] }).children;
    if (args.length > MAX_DIRECT_ARGS) {
      super.compileFunCall(node, frame);
      return;
    }
    this._emit(`(lineno = ${node.lineno}, colno = ${node.colno}, ${CALL_HELPER}${args.length}(`);
    this._compileExpression(node.name as AstNode, frame);
    this._emit(`, "${this._getNodeName(node.name as AstNode).replace(/"/g, '\\"')}", context`);
    for (const a of args) {
      this._emit(', ');
      this.compile(a, frame);
    }
    this._emit('))');
  }

  /** nunjucks' compileOutput, each `{{ }}` value passed through the output check (multiline.ts),
   *  with the expression's position set first so a refused value is reported where it is written.
   *  The parts of one output run are joined into one flat string before the single `+=`: the
   *  output grows by one rope node per run instead of one per part, and those nodes are what the
   *  young-generation GC copies again and again while a large config renders. `'' + part` is the
   *  same conversion `+=` applies, and a throw still ends the render, so the output is identical.
   *  Past CHUNK_CHARS, a function's `output` (root, block, `{% set %}` capture: each declares its
   *  own chunks, OUTPUT_LINES) is flattened and set aside as a finished chunk: chunks.ts's
   *  ChunkedText, as generated code. The text is joined once where nunjucks hands it over.
   *  Without it the rope of a 7 MB config survives scavenge after scavenge: at 100,000 keys the
   *  scavenges took ~2.5× as long and the render ~1.6×. */
  compileOutput(node: AstNode, frame: unknown): void {
    const parts = (node.children as AstNode[]).filter((c) => !is(c, 'TemplateData') || c.value);
    const joined = parts.length > 1;
    if (joined) this._emit(`${this.buffer} += [`);
    parts.forEach((child, i) => {
      const lead = joined ? (i > 0 ? ", '' + " : "'' + ") : `${this.buffer} += `;
      if (is(child, 'TemplateData')) {
        this._emit(lead);
        this.compileLiteral(child, frame);
      } else {
        this._emit(`${lead}(lineno = ${child.lineno}, colno = ${child.colno}, ${OUT_HELPER}(context, runtime.suppressValue(`);
        this.compile(child, frame);
        this._emit(', env.opts.autoescape)))');
      }
      if (!joined) this._emitLine(';');
    });
    if (joined) this._emitLine("].join('');");
    if (this.buffer === 'output') this._emitLine(`if (output.length > ${CHUNK_CHARS}) { output.charCodeAt(0); ${CHUNKS}.push(output); output = ''; }`);
  }

  /** nunjucks' _compileGetTemplate (include, import, from, extends), a failure to load the
   *  template (not found) placed at the tag instead of wherever the render last was. */
  _compileGetTemplate(node: AstNode, frame: unknown, eagerCompile: boolean, ignoreMissing: boolean): string {
    const id = this._tmpid();
    const err = this._tmpid();
    this._emit('env.getTemplate(');
    this._compileExpression(node.template as AstNode, frame);
    this._emitLine(`, ${eagerCompile}, ${this._templateName()}, ${ignoreMissing}, function(${err}, ${id}) {`);
    this._emitLine(`if (${err}) { cb(runtime.handleError(${err}, ${node.lineno}, ${node.colno})); return; }`);
    return id;
  }

  override _emitLine(code: string): void {
    code = OUTPUT_LINES[code] ?? code;
    const m = PLAIN_SET.exec(code);
    super._emitLine(m ? `frame.variables["${m[1]}"] = ${m[2]};` : code);
  }
}

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

/**
 * Compile Nunjucks source into the `{type:'code'}` object `new nunjucks.Template` accepts. With a
 * `store`, code generated by an earlier process for the same text and settings is reused.
 */
export function compileSource(src: string, name: string, env: nunjucks.Environment, store?: CompiledStore): { type: 'code'; obj: unknown } {
  const settings = store ? compilerSettings(env) : '';
  const stored = store?.get(name, src, settings);
  if (stored !== undefined) {
    try {
      return { type: 'code', obj: evaluate(stored) };
    } catch {
      // unreadable entry: generate it again (and replace it)
    }
  }
  const code = generateCode(src, name, env);
  const obj = evaluate(code);
  store?.put(name, src, settings, code);
  return { type: 'code', obj };
}

/** Same evaluation nunjucks performs for every template it compiles. */
const evaluate = (code: string): unknown => new Function(code)() as unknown;

function generateCode(src: string, name: string, env: nunjucks.Environment): string {
  const e = env as unknown as EnvInternals;
  const ast = parseSource(src, e.extensionsList, e.opts);
  const unknown = unknownFilters(ast, env)[0];
  if (unknown) throw new lib.TemplateError(unknownFilterMessage(unknown), unknown.lineno + 1, unknown.colno + 1);
  walk(ast, new WeakSet());
  const c = new KeyplateCompiler(name, Boolean(e.opts.throwOnUndefined));
  c.compile(transformer.transform(ast, e.asyncFilters, name));
  return PRELUDE + c.getCode();
}

/** What besides the text decides the generated code: parser and compiler options, the filters that exist. */
function compilerSettings(env: nunjucks.Environment): string {
  const e = env as unknown as EnvInternals & { filters: Record<string, unknown>; extensionsList: unknown[] };
  const o = e.opts as Record<string, unknown>;
  return JSON.stringify([o.autoescape, o.throwOnUndefined, o.trimBlocks, o.lstripBlocks, o.tags ?? null, e.extensionsList.length, Object.keys(e.filters).sort()]);
}

/** Filter nodes (`x | name`, `{% filter name %}`) naming a filter `env` does not have, in source order. */
export function unknownFilters(ast: AstNode, env: nunjucks.Environment): AstNode[] {
  const known = (name: string) => {
    try {
      env.getFilter(name);
      return true;
    } catch {
      return false;
    }
  };
  return findNodes(ast, (n) => (is(n, 'Filter') || is(n, 'FilterAsync')) && !known(filterName(n)));
}

const filterName = (n: AstNode): string => String((n.name as AstNode).value);

export const unknownFilterMessage = (n: AstNode): string => `filter not found: ${filterName(n)}`;
