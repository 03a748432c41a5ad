/**
 * The parser of Go's text/template (text/template/parse/parse.go): tokens → a tree per template
 * name (`define`/`block` add named templates). Variables must be declared before use, functions
 * must exist, `break`/`continue` live inside `range`; errors carry the offending token's offset.
 */
import { GoTemplateSyntaxError } from './errors.ts';
import { lex, unquote, type Token } from './lexer.ts';
import type { Arg, Command, ListNode, Node, Pipe } from './nodes.ts';

export type TemplateSet = Map<string, ListNode>;

type EndNode = { t: 'end'; pos: number } | { t: 'else'; pos: number };

export function parseTemplate(name: string, input: string, hasFunction: (n: string) => boolean, set: TemplateSet = new Map()): TemplateSet {
  const p = new Parser(name, input, hasFunction, set);
  set.set(name, p.parseRoot());
  return set;
}

class Parser {
  readonly #toks: Token[];
  #i = 0;
  #vars: string[] = ['$'];
  #rangeDepth = 0;

  constructor(
    readonly name: string,
    readonly input: string,
    readonly hasFunction: (n: string) => boolean,
    readonly set: TemplateSet,
  ) {
    this.#toks = lex(name, input);
  }

  fail(pos: number, msg: string): never {
    throw new GoTemplateSyntaxError(this.name, this.input, pos, msg);
  }

  next(): Token {
    return this.#toks[Math.min(this.#i++, this.#toks.length - 1)];
  }
  peek(): Token {
    return this.#toks[Math.min(this.#i, this.#toks.length - 1)];
  }
  backup(n = 1): void {
    this.#i -= n;
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

  parseRoot(): ListNode {
    const root: ListNode = { t: 'list', pos: 0, nodes: [] };
    while (this.peek().type !== 'eof') {
      if (this.peek().type === 'left') {
        const save = this.#i;
        this.next();
        const kw = this.nextNonSpace();
        if (kw.type === 'keyword' && kw.value === 'define') {
          this.parseDefinition(kw.pos);
          continue;
        }
        this.#i = save;
      }
      const n = this.textOrAction();
      if (n.t === 'end' || n.t === 'else') this.fail(n.pos, `unexpected {{${n.t}}}`);
      root.nodes.push(n);
    }
    return root;
  }

  parseDefinition(pos: number): void {
    const tok = this.nextNonSpace();
    if (tok.type !== 'string' && tok.type !== 'raw') this.unexpected(tok, 'define clause');
    const name = unquote(tok.value);
    this.expect('right', 'define clause');
    const saved = this.#vars;
    this.#vars = ['$'];
    const [list, end] = this.itemList();
    if (end.t !== 'end') this.fail(end.pos, `unexpected {{${end.t}}} in define clause`);
    this.#vars = saved;
    this.addTemplate(name, list, pos);
  }

  addTemplate(name: string, list: ListNode, _pos: number): void {
    this.set.set(name, list);
  }

  itemList(): [ListNode, EndNode] {
    const list: ListNode = { t: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (n.t === 'end' || n.t === 'else') return [list, n];
      list.nodes.push(n);
    }
    this.fail(this.peek().pos, 'unexpected EOF');
  }

  textOrAction(): Node | EndNode {
    const t = this.nextNonSpace();
    if (t.type === 'text') return { t: 'text', pos: t.pos, text: t.value };
    if (t.type === 'left') return this.action();
    this.unexpected(t, 'input');
  }

  action(): Node | EndNode {
    const t = this.nextNonSpace();
    if (t.type === 'keyword') {
      switch (t.value) {
        case 'block': return this.blockControl(t.pos);
        case 'break': case 'continue': return this.loopControl(t);
        case 'else': return this.elseControl(t.pos);
        case 'end':
          this.expect('right', 'end');
          return { t: 'end', pos: t.pos };
        case 'if': case 'with': case 'range': return this.control(t.value, t.pos);
        case 'template': return this.templateControl(t.pos);
        case 'define': this.fail(t.pos, 'unexpected <define> in command');
      }
    }
    this.backup();
    const pos = this.peek().pos;
    return { t: 'action', pos, pipe: this.pipeline('command', 'right') };
  }

  loopControl(t: Token): Node {
    this.expect('right', t.value);
    if (this.#rangeDepth === 0) this.fail(t.pos, `{{${t.value}}} outside {{range}}`);
    return { t: t.value as 'break' | 'continue', pos: t.pos };
  }

  elseControl(pos: number): EndNode {
    const peek = this.peekNonSpace();
    // `{{else if …}}`/`{{else with …}}`: the caller sees the else and parses the nested control.
    if (peek.type === 'keyword' && (peek.value === 'if' || peek.value === 'with')) return { t: 'else', pos };
    this.expect('right', 'else');
    return { t: 'else', pos };
  }

  control(kind: 'if' | 'with' | 'range', pos: number): Node {
    const mark = this.#vars.length;
    const pipe = this.pipeline(kind, 'right');
    if (kind === 'range') this.#rangeDepth++;
    let [list, next] = this.itemList();
    if (kind === 'range') this.#rangeDepth--;
    let elseList: ListNode | undefined;
    if (next.t === 'else') {
      const peek = this.peekNonSpace();
      if (kind !== 'range' && peek.type === 'keyword' && (peek.value === 'if' || peek.value === 'with') && (kind === 'if' ? peek.value === 'if' : peek.value === 'with')) {
        this.nextNonSpace();
        const nested = this.control(peek.value as 'if' | 'with', peek.pos);
        elseList = { t: 'list', pos: peek.pos, nodes: [nested] };
      } else {
        if (peek.type === 'keyword' && (peek.value === 'if' || peek.value === 'with')) this.unexpected(peek, 'else');
        [elseList, next] = this.itemList();
        if (next.t !== 'end') this.fail(next.pos, `expected end; found {{${next.t}}}`);
      }
    }
    this.#vars.length = mark;
    return { t: kind, pos, pipe, list, elseList };
  }

  templateControl(pos: number): Node {
    const tok = this.nextNonSpace();
    if (tok.type !== 'string' && tok.type !== 'raw') this.unexpected(tok, 'template clause');
    const name = unquote(tok.value);
    let pipe: Pipe | undefined;
    if (this.nextNonSpace().type !== 'right') {
      this.backup();
      pipe = this.pipeline('template clause', 'right');
    }
    return { t: 'template', pos, name, pipe };
  }

  blockControl(pos: number): Node {
    const tok = this.nextNonSpace();
    if (tok.type !== 'string' && tok.type !== 'raw') this.unexpected(tok, 'block clause');
    const name = unquote(tok.value);
    const pipe = this.pipeline('block clause', 'right');
    const saved = this.#vars;
    this.#vars = ['$'];
    const [list, end] = this.itemList();
    if (end.t !== 'end') this.fail(end.pos, `unexpected {{${end.t}}} in block clause`);
    this.#vars = saved;
    this.addTemplate(name, list, pos);
    return { t: 'template', pos, name, pipe };
  }

  pipeline(context: string, end: 'right' | 'rparen'): Pipe {
    const pipe: Pipe = { t: 'pipe', pos: this.peekNonSpace().pos, decl: [], isAssign: false, cmds: [] };
    let isAssign = false;
    for (;;) {
      const save = this.#i;
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break;
      this.nextNonSpace();
      const next = this.peekNonSpace();
      if (next.type === 'assign' || next.type === 'declare') {
        isAssign = next.type === 'assign';
        this.nextNonSpace();
        pipe.decl.push(v.value);
        this.#vars.push(v.value);
        break;
      }
      if (next.type === 'comma') {
        this.nextNonSpace();
        pipe.decl.push(v.value);
        this.#vars.push(v.value);
        if (context === 'range' && pipe.decl.length < 2) {
          const n2 = this.peekNonSpace().type;
          if (n2 === 'variable' || n2 === 'right' || n2 === 'rparen') continue;
          this.fail(v.pos, 'range can only initialize variables');
        }
        this.fail(v.pos, `too many declarations in ${context}`);
      }
      // Not a declaration: put the variable (and the space after it) back.
      this.#i = save;
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
        if (!this.#vars.includes(t.value)) this.fail(t.pos, `undefined variable "${t.value}"`);
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
