/**
 * The executor of Go's text/template (text/template/exec.go) over a parsed template set: `.` and
 * `$`, variables, pipelines with the previous result as the last argument, field chains on maps
 * and structs, method calls, `if`/`with`/`range` (maps in sorted key order, `break`/`continue`,
 * `else`), `template`. Errors read like Go's (`executing "name" at <node>: …`) with file:line:col.
 */
import { GoTemplateExecError } from './errors.ts';
import type { FuncMap } from './builtins.ts';
import { Evaluator } from './eval.ts';
import type { ControlNode, Node } from './nodes.ts';
import type { TemplateSet } from './parser.ts';
import { isMap, printValue, truth } from './values.ts';
import { ChunkedText } from '../chunks.ts';

const BREAK: unique symbol = Symbol('break');
const CONTINUE: unique symbol = Symbol('continue');
const MAX_DEPTH = 1000;

export interface ExecOptions {
  readonly funcs: FuncMap;
  /** Applied to each value an action writes (keyplate's multi-line value guard). */
  readonly output?: (value: unknown, text: string) => string;
}

export function execute(set: TemplateSet, name: string, file: string, input: string, dot: unknown, opts: ExecOptions): string {
  const root = set.get(name);
  if (root === undefined) throw new GoTemplateExecError(file, input, 0, `no such template "${name}"`);
  const ex = new Executor(set, file, input, opts);
  ex.tmplName = name;
  ex.vars.push({ name: '$', value: dot });
  ex.walk(dot, root);
  return ex.text();
}

class Executor extends Evaluator {
  readonly #out = new ChunkedText();
  depth = 0;

  constructor(
    readonly set: TemplateSet,
    file: string,
    input: string,
    readonly opts: ExecOptions,
  ) {
    super(file, input, opts.funcs);
  }

  walk(dot: unknown, node: Node): void {
    switch (node.t) {
      case 'list': {
        const nodes = node.nodes;
        for (let i = 0; i < nodes.length; i++) this.walk(dot, nodes[i]);
        return;
      }
      case 'text':
        this.#out.append(node.text);
        return;
      case 'action': {
        const v = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) {
          const text = printValue(v);
          if (this.opts.output === undefined) this.#out.append(text);
          else {
            try {
              this.#out.append(this.opts.output(v, text));
            } catch (e) {
              this.errorf(node.pipe, e instanceof Error ? e.message : String(e), e);
            }
          }
        }
        return;
      }
      case 'if': case 'with': {
        const mark = this.vars.length;
        const v = this.evalPipeline(dot, node.pipe);
        if (truth(v)) this.walk(node.t === 'with' ? v : dot, node.list);
        else if (node.elseList) this.walk(dot, node.elseList);
        if (this.vars.length !== mark) this.vars.length = mark;
        return;
      }
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'template':
        this.walkTemplate(dot, node);
        return;
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
    }
  }

  /** Everything written, in order. */
  text(): string {
    return this.#out.text();
  }

  walkRange(dot: unknown, r: ControlNode): void {
    const outer = this.vars.length;
    const val = this.evalPipeline(dot, r.pipe);
    const mark = this.vars.length;
    let any = false;
    if (Array.isArray(val) || val instanceof Set) {
      const items = Array.isArray(val) ? val : [...val];
      for (let i = 0; i < items.length; i++) {
        any = true;
        if (!this.iteration(r, mark, i, items[i])) break;
      }
    } else if (isMap(val) || val instanceof Map) {
      const m = val instanceof Map ? val : undefined;
      const keys = m ? [...m.keys()].sort() : Object.keys(val).sort();
      for (const k of keys) {
        any = true;
        if (!this.iteration(r, mark, k, m ? m.get(k) : (val as Record<string, unknown>)[k])) break;
      }
    } else if (typeof val === 'number' && Number.isInteger(val)) {
      for (let i = 0; i < val; i++) {
        any = true;
        if (!this.iteration(r, mark, i, i)) break;
      }
    } else if (val !== undefined && val !== null) {
      this.errorf(r, `range can't iterate over ${printValue(val)}`);
    }
    if (!any && r.elseList) this.walk(dot, r.elseList);
    if (this.vars.length !== outer) this.vars.length = outer;
  }

  /** One pass of a range body: set its variables, walk, pop; false after `{{break}}`. */
  iteration(r: ControlNode, mark: number, index: unknown, elem: unknown): boolean {
    const { decl, isAssign } = r.pipe;
    if (decl.length > 0) {
      if (isAssign) this.setVar(r, decl[0], decl.length > 1 ? index : elem);
      else this.vars[this.vars.length - 1].value = elem;
    }
    if (decl.length > 1) {
      if (isAssign) this.setVar(r, decl[1], elem);
      else this.vars[this.vars.length - 2].value = index;
    }
    try {
      this.walk(elem, r.list);
    } catch (e) {
      if (e === BREAK) return false;
      if (e !== CONTINUE) throw e;
    } finally {
      if (this.vars.length !== mark) this.vars.length = mark;
    }
    return true;
  }

  walkTemplate(dot: unknown, t: Extract<Node, { t: 'template' }>): void {
    const tmpl = this.set.get(t.name);
    if (tmpl === undefined) this.errorf(t, `no such template "${t.name}"`);
    if (this.depth >= MAX_DEPTH) this.errorf(t, `exceeded maximum template depth (${MAX_DEPTH})`);
    const newDot = t.pipe ? this.evalPipeline(dot, t.pipe) : undefined;
    const saved = { vars: this.vars, name: this.tmplName };
    this.vars = [{ name: '$', value: newDot }];
    this.tmplName = t.name;
    this.depth++;
    try {
      this.walk(newDot, tmpl);
    } finally {
      this.depth--;
      this.vars = saved.vars;
      this.tmplName = saved.name;
    }
  }
}
