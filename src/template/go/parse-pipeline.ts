/**
 * The expression half of the Go template parser (text/template/parse/parse.go): a cursor over the
 * lexer's tokens, pipelines with their variable declarations, commands, operands (field chains),
 * terms and number constants. parser.ts adds the actions and control structures on top.
 */
import { GoTemplateSyntaxError } from './errors.ts';
import { lex, unquote, type Token } from './lexer.ts';
import type { Arg, Command, Pipe } from './nodes.ts';

export class PipelineParser {
  protected readonly toks: Token[];
  protected i = 0;
  protected vars: string[] = ['$'];

  constructor(
    readonly name: string,
    readonly input: string,
    readonly hasFunction: (n: string) => boolean,
  ) {
    this.toks = lex(name, input);
  }

  fail(pos: number, msg: string): never {
    throw new GoTemplateSyntaxError(this.name, this.input, pos, msg);
  }

  next(): Token {
    return this.toks[Math.min(this.i++, this.toks.length - 1)];
  }
  peek(): Token {
    return this.toks[Math.min(this.i, this.toks.length - 1)];
  }
  backup(n = 1): void {
    this.i -= n;
  }
  nextNonSpace(): Token {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }
  peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }
  expect(type: Token['type'], context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }
  unexpected(t: Token, context: string): never {
    if (t.type === 'eof') this.fail(t.pos, `unexpected EOF in ${context}`);
    const what = t.type === 'right' ? '"}}"' : t.type === 'keyword' ? `<${t.value}>` : JSON.stringify(t.value);
    this.fail(t.pos, `unexpected ${what} in ${context}`);
  }

  pipeline(context: string, end: 'right' | 'rparen'): Pipe {
    const pipe: Pipe = { t: 'pipe', pos: this.peekNonSpace().pos, decl: [], isAssign: false, cmds: [] };
    let isAssign = false;
    for (;;) {
      const save = this.i;
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break;
      this.nextNonSpace();
      const next = this.peekNonSpace();
      if (next.type === 'assign' || next.type === 'declare') {
        isAssign = next.type === 'assign';
        this.nextNonSpace();
        pipe.decl.push(v.value);
        this.vars.push(v.value);
        break;
      }
      if (next.type === 'comma') {
        this.nextNonSpace();
        pipe.decl.push(v.value);
        this.vars.push(v.value);
        if (context === 'range' && pipe.decl.length < 2) {
          const n2 = this.peekNonSpace().type;
          if (n2 === 'variable' || n2 === 'right' || n2 === 'rparen') continue;
          this.fail(v.pos, 'range can only initialize variables');
        }
        this.fail(v.pos, `too many declarations in ${context}`);
      }
      // Not a declaration: put the variable (and the space after it) back.
      this.i = save;
      break;
    }
    (pipe as { isAssign: boolean }).isAssign = isAssign;
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        this.checkPipeline(pipe, context, t.pos);
        return pipe;
      }
      switch (t.type) {
        case 'bool': case 'char': case 'dot': case 'field': case 'identifier': case 'number': case 'nil':
        case 'raw': case 'string': case 'variable': case 'lparen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  checkPipeline(pipe: Pipe, context: string, pos: number): void {
    if (pipe.cmds.length === 0) this.fail(pos, `missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const a = c.args[0];
      if (a.t === 'bool' || a.t === 'dot' || a.t === 'nil' || a.t === 'number' || a.t === 'string') {
        this.fail(a.pos, `non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  command(): Command {
    const cmd: Command = { t: 'cmd', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const op = this.operand();
      if (op !== undefined) cmd.args.push(op);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'right' || t.type === 'rparen') this.backup();
      else if (t.type !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.fail(cmd.pos, 'empty command');
    return cmd;
  }

  operand(): Arg | undefined {
    const node = this.term();
    if (node === undefined) return undefined;
    if (this.peek().type !== 'field') return node;
    const fields: string[] = [];
    const pos = this.peek().pos;
    while (this.peek().type === 'field') fields.push(this.next().value.slice(1));
    switch (node.t) {
      case 'field': return { t: 'field', pos: node.pos, idents: [...node.idents, ...fields] };
      case 'var': return { t: 'var', pos: node.pos, idents: [...node.idents, ...fields] };
      case 'bool': case 'string': case 'number': case 'nil': case 'dot':
        this.fail(pos, `unexpected . after term "${node.t === 'dot' ? '.' : node.t === 'nil' ? 'nil' : node.t === 'bool' ? String(node.value) : node.text}"`);
      default: return { t: 'chain', pos: node.pos, node, fields };
    }
  }

  term(): Arg | undefined {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'identifier':
        if (!this.hasFunction(t.value)) this.fail(t.pos, `function "${t.value}" not defined`);
        return { t: 'ident', pos: t.pos, name: t.value };
      case 'dot': return { t: 'dot', pos: t.pos };
      case 'nil': return { t: 'nil', pos: t.pos };
      case 'variable':
        if (!this.vars.includes(t.value)) this.fail(t.pos, `undefined variable "${t.value}"`);
        return { t: 'var', pos: t.pos, idents: [t.value] };
      case 'field': return { t: 'field', pos: t.pos, idents: [t.value.slice(1)] };
      case 'bool': return { t: 'bool', pos: t.pos, value: t.value === 'true' };
      case 'number': case 'char': return this.number(t);
      case 'lparen': return this.pipeline('parenthesized pipeline', 'rparen');
      case 'string': case 'raw': return { t: 'string', pos: t.pos, text: t.value, value: unquote(t.value) };
    }
    this.backup();
    return undefined;
  }

  number(t: Token): Arg {
    if (t.type === 'char') {
      const s = unquote(`"${t.value.slice(1, -1)}"`);
      return { t: 'number', pos: t.pos, text: t.value, value: s.codePointAt(0) ?? 0, isFloat: false, isInt: true };
    }
    const text = t.value.replace(/_/g, '');
    if (text.endsWith('i')) this.fail(t.pos, `complex numbers are not supported: ${t.value}`);
    let value: number;
    const neg = text.startsWith('-');
    const body = text.replace(/^[+-]/, '');
    if (/^0[xX][0-9a-fA-F]+$/.test(body)) value = parseInt(body.slice(2), 16);
    else if (/^0[bB][01]+$/.test(body)) value = parseInt(body.slice(2), 2);
    else if (/^0[oO]?[0-7]+$/.test(body)) value = parseInt(body.replace(/^0[oO]?/, ''), 8);
    else if (/^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(body)) value = Number(body);
    else this.fail(t.pos, `bad number syntax: "${t.value}"`);
    if (neg) value = -value;
    const isFloat = /[.eEpP]/.test(body) && !/^0[xX]/.test(body);
    return { t: 'number', pos: t.pos, text: t.value, value, isFloat, isInt: Number.isInteger(value) };
  }
}
