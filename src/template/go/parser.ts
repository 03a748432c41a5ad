/**
 * The parser of Go's text/template (text/template/parse/parse.go): tokens → a tree per template
 * name (`define`/`block` add named templates). Variables must be declared before use, functions
 * must exist, `break`/`continue` live inside `range`; errors carry the offending token's offset.
 */
import { unquote, type Token } from './lexer.ts';
import type { ListNode, Node, Pipe } from './nodes.ts';
import { PipelineParser } from './parse-pipeline.ts';

export type TemplateSet = Map<string, ListNode>;

type EndNode = { t: 'end'; pos: number } | { t: 'else'; pos: number };

export function parseTemplate(name: string, input: string, hasFunction: (n: string) => boolean, set: TemplateSet = new Map()): TemplateSet {
  const p = new Parser(name, input, hasFunction, set);
  set.set(name, p.parseRoot());
  return set;
}

class Parser extends PipelineParser {
  #rangeDepth = 0;

  constructor(
    name: string,
    input: string,
    hasFunction: (n: string) => boolean,
    readonly set: TemplateSet,
  ) {
    super(name, input, hasFunction);
  }

  parseRoot(): ListNode {
    const root: ListNode = { t: 'list', pos: 0, nodes: [] };
    while (this.peek().type !== 'eof') {
      if (this.peek().type === 'left') {
        const save = this.i;
        this.next();
        const kw = this.nextNonSpace();
        if (kw.type === 'keyword' && kw.value === 'define') {
          this.parseDefinition(kw.pos);
          continue;
        }
        this.i = save;
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
    const saved = this.vars;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    if (end.t !== 'end') this.fail(end.pos, `unexpected {{${end.t}}} in define clause`);
    this.vars = saved;
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
    const mark = this.vars.length;
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
    this.vars.length = mark;
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
    const saved = this.vars;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    if (end.t !== 'end') this.fail(end.pos, `unexpected {{${end.t}}} in block clause`);
    this.vars = saved;
    this.addTemplate(name, list, pos);
    return { t: 'template', pos, name, pipe };
  }
}
