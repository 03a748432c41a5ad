/**
 * The expression half of the Go template executor (text/template/exec.go): variables, pipelines
 * (the previous command's result is the next one's last argument), field chains on maps and
 * structs, method and function calls with Go's argument checks. exec.ts walks the tree on top.
 */
import { GoTemplateExecError } from './errors.ts';
import type { FuncMap, GoFunc, Param } from './builtins.ts';
import { argString, type Arg, type Command, type Pipe } from './nodes.ts';
import { GoFloat, isKV, isMap, truth, typeName } from './values.ts';

/** Go's missingVal: "no final argument" (distinct from an invalid value, `undefined`). */
export const MISSING: unique symbol = Symbol('missing');
type Final = unknown;
const GO_TYPE: Record<Param, string> = { s: 'string', i: 'int', b: 'bool', a: 'interface {}' };
const CONTROL: ReadonlySet<string> = new Set(['if', 'with', 'range', 'template', 'action', 'list', 'text', 'break', 'continue']);
/** A command with no arguments besides its first word. */
const NO_ARGS: readonly Arg[] = Object.freeze([]);
const METHOD: GoFunc = { fn: () => undefined, params: [], variadic: 'a' };

export interface Var {
  readonly name: string;
  value: unknown;
}

export class Evaluator {
  vars: Var[] = [];
  tmplName = '';

  constructor(
    readonly file: string,
    readonly input: string,
    readonly funcs: FuncMap,
  ) {}

  errorf(node: { pos: number } | Arg | Command, msg: string, cause?: unknown): never {
    const t = (node as { t?: string }).t;
    const at = t !== undefined && !CONTROL.has(t) ? ` at <${argString(node as Arg)}>` : '';
    throw new GoTemplateExecError(this.file, this.input, node.pos, `executing "${this.tmplName}"${at}: ${msg}`, { cause });
  }

  setVar(node: { pos: number }, name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.errorf(node, `undefined variable: ${name}`);
  }

  varValue(node: Arg, name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    this.errorf(node, `undefined variable: ${name}`);
  }

  evalPipeline(dot: unknown, pipe: Pipe): unknown {
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      if (value === null) value = undefined; // a nil interface{} becomes the invalid value
    }
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(pipe, name, value);
      else this.vars.push({ name, value });
    }
    return value;
  }

  notAFunction(args: readonly Arg[], final: Final): void {
    if (args.length > 1 || final !== MISSING) this.errorf(args[0], `can't give argument to non-function ${argString(args[0])}`);
  }

  evalCommand(dot: unknown, cmd: Command, final: Final): unknown {
    const first = cmd.args[0];
    switch (first.t) {
      case 'field': return this.evalFieldChain(dot, dot, first, first.idents, cmd.args, final);
      case 'chain': return this.evalChain(dot, first, cmd.args, final);
      case 'ident': return this.evalFunction(dot, first, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'var': return this.evalVariable(dot, first, cmd.args, final);
    }
    this.notAFunction(cmd.args, final);
    switch (first.t) {
      case 'bool': return first.value;
      case 'dot': return dot;
      case 'nil': this.errorf(first, 'nil is not a command');
      case 'number': return first.isFloat ? new GoFloat(first.value) : first.value;
      case 'string': return first.value;
    }
  }

  evalChain(dot: unknown, chain: Extract<Arg, { t: 'chain' }>, args: readonly Arg[], final: Final): unknown {
    if (chain.node.t === 'nil') this.errorf(chain, `indirection through explicit nil in ${argString(chain)}`);
    const pipe = this.evalArg(dot, undefined, chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.fields, args, final);
  }

  evalVariable(dot: unknown, v: Extract<Arg, { t: 'var' }>, args: readonly Arg[], final: Final): unknown {
    const value = this.varValue(v, v.idents[0]);
    if (v.idents.length === 1) {
      if (args.length > 0) this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.idents, args, final, 1);
  }

  /** Evaluate `idents[from…]` on `receiver`; the last one gets the command's arguments. */
  evalFieldChain(dot: unknown, receiver: unknown, node: Arg, idents: readonly string[], args: readonly Arg[], final: Final, from = 0): unknown {
    const n = idents.length;
    for (let i = from; i < n - 1; i++) receiver = this.evalField(dot, idents[i], node, NO_ARGS, MISSING, receiver);
    return this.evalField(dot, idents[n - 1], node, args, final, receiver);
  }

  evalField(dot: unknown, name: string, node: Arg, args: readonly Arg[], final: Final, receiver: unknown): unknown {
    if (receiver === undefined) return undefined;
    if (receiver === null) this.errorf(node, `nil pointer evaluating interface {}.${name}`);
    const hasArgs = args.length > 1 || final !== MISSING;
    if (isKV(receiver)) {
      if (name !== 'Key' && name !== 'Value') this.errorf(node, `can't evaluate field ${name} in type memkv.KVPair`);
      if (hasArgs) this.errorf(node, `${name} has arguments but cannot be invoked as function`);
      return receiver[name];
    }
    if (isMap(receiver)) {
      if (hasArgs) this.errorf(node, `${name} is not a method but has arguments`);
      return Object.prototype.hasOwnProperty.call(receiver, name) ? receiver[name] : undefined;
    }
    if (receiver instanceof Map) {
      if (hasArgs) this.errorf(node, `${name} is not a method but has arguments`);
      return receiver.has(name) ? receiver.get(name) : undefined;
    }
    if ((typeof receiver === 'object' && !Array.isArray(receiver) && !(receiver instanceof GoFloat)) || typeof receiver === 'function') {
      const member = (receiver as Record<string, unknown>)[name];
      if (typeof member === 'function' && /^[A-Z]/.test(name)) {
        const method: GoFunc = { ...METHOD, fn: (...a: unknown[]) => (member as (...x: unknown[]) => unknown).apply(receiver, a) };
        return this.evalCall(dot, method, node, name, args, final);
      }
      if (member !== undefined && Object.prototype.hasOwnProperty.call(receiver, name)) {
        if (hasArgs) this.errorf(node, `${name} has arguments but cannot be invoked as function`);
        return member;
      }
    }
    this.errorf(node, `can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  evalFunction(dot: unknown, node: Extract<Arg, { t: 'ident' }>, args: readonly Arg[], final: Final): unknown {
    const fn = this.funcs.get(node.name);
    if (fn === undefined) this.errorf(node, `"${node.name}" is not a defined function`);
    return this.evalCall(dot, fn, node, node.name, args, final);
  }

  /** Call `fn` with `args[1…]` (args[0] names the function or method) and the pipeline's `final`. */
  evalCall(dot: unknown, fn: GoFunc, node: Arg, name: string, args: readonly Arg[], final: Final): unknown {
    const given = args.length > 0 ? args.length - 1 : 0;
    const numIn = given + (final !== MISSING ? 1 : 0);
    const params = fn.params;
    const fixed = params.length;
    if (fn.variadic !== undefined ? numIn < fixed : numIn !== fixed) {
      this.errorf(node, `wrong number of args for ${name}: want ${fn.variadic !== undefined ? 'at least ' : ''}${fixed} got ${numIn}`);
    }
    if ((name === 'and' || name === 'or') && fn === this.funcs.get(name)) {
      let v: unknown;
      for (let i = 1; i < args.length; i++) {
        v = this.evalArg(dot, 'a', args[i]);
        if (truth(v) === (name === 'or')) return v;
      }
      if (final !== MISSING) v = this.validate(final, 'a', node);
      return v;
    }
    // Up to three arguments: evaluated into locals and passed directly, no argument array
    // (templates call functions a lot). Arguments are evaluated before the call, outside its try.
    let a0: unknown, a1: unknown, a2: unknown;
    let argv: unknown[] | undefined;
    if (numIn > 3) {
      argv = new Array(numIn);
      for (let i = 0; i < numIn; i++) argv[i] = this.argAt(dot, fn, node, args, given, final, i);
    } else {
      if (numIn > 0) a0 = this.argAt(dot, fn, node, args, given, final, 0);
      if (numIn > 1) a1 = this.argAt(dot, fn, node, args, given, final, 1);
      if (numIn > 2) a2 = this.argAt(dot, fn, node, args, given, final, 2);
    }
    try {
      switch (numIn) {
        case 0: return fn.fn();
        case 1: return fn.fn(a0);
        case 2: return fn.fn(a0, a1);
        case 3: return fn.fn(a0, a1, a2);
        default: return fn.fn.apply(undefined, argv!);
      }
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.errorf(node, `error calling ${name}: ${msg.startsWith(`${name}: `) ? msg.slice(name.length + 2) : msg}`, e);
    }
  }

  /** Argument `i` of a call: from the command's words, the last one from the pipeline. */
  argAt(dot: unknown, fn: GoFunc, node: Arg, args: readonly Arg[], given: number, final: Final, i: number): unknown {
    const typ = i < fn.params.length ? fn.params[i] : fn.variadic;
    return i < given ? this.evalArg(dot, typ, args[i + 1]) : this.validate(final, typ, node);
  }

  validate(value: unknown, typ: Param | undefined, node: Arg): unknown {
    if (typ === undefined) return value;
    if (value === undefined) {
      if (typ === 'a') return null;
      this.errorf(node, `invalid value; expected ${GO_TYPE[typ]}`);
    }
    const ok = typ === 'a'
      || (typ === 's' && typeof value === 'string')
      || (typ === 'i' && typeof value === 'number' && Number.isInteger(value))
      || (typ === 'b' && typeof value === 'boolean');
    if (!ok) this.errorf(node, `wrong type for value; expected ${GO_TYPE[typ]}; got ${typeName(value)}`);
    return value;
  }

  evalArg(dot: unknown, typ: Param | undefined, n: Arg): unknown {
    switch (n.t) {
      case 'dot': return this.validate(dot, typ, n);
      case 'nil':
        if (typ === 'a' || typ === undefined) return null;
        this.errorf(n, `cannot assign nil to ${GO_TYPE[typ]}`);
      case 'field': return this.validate(this.evalFieldChain(dot, dot, n, n.idents, NO_ARGS, MISSING), typ, n);
      case 'var': return this.validate(this.evalVariable(dot, n, NO_ARGS, MISSING), typ, n);
      case 'pipe': return this.validate(this.evalPipeline(dot, n), typ, n);
      case 'ident': return this.validate(this.evalFunction(dot, n, NO_ARGS, MISSING), typ, n);
      case 'chain': return this.validate(this.evalChain(dot, n, NO_ARGS, MISSING), typ, n);
    }
    switch (typ) {
      case 'b':
        if (n.t === 'bool') return n.value;
        this.errorf(n, `expected bool; found ${argString(n)}`);
      case 'i':
        if (n.t === 'number' && n.isInt) return n.value;
        this.errorf(n, `expected integer; found ${argString(n)}`);
      case 's':
        if (n.t === 'string') return n.value;
        this.errorf(n, `expected string; found ${argString(n)}`);
      default:
        if (n.t === 'number') return n.isFloat ? new GoFloat(n.value) : n.value;
        return n.value;
    }
  }
}
