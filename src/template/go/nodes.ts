/** The parse tree of a Go template (text/template/parse/node.go), and each node's source form. */

export interface Pipe {
  readonly t: 'pipe';
  readonly pos: number;
  readonly decl: string[];
  readonly isAssign: boolean;
  readonly cmds: Command[];
}

export interface Command {
  readonly t: 'cmd';
  readonly pos: number;
  readonly args: Arg[];
}

export type Arg =
  | { readonly t: 'field'; readonly pos: number; readonly idents: string[] }
  | { readonly t: 'var'; readonly pos: number; readonly idents: string[] }
  | { readonly t: 'ident'; readonly pos: number; readonly name: string }
  | { readonly t: 'chain'; readonly pos: number; readonly node: Arg; readonly fields: string[] }
  | { readonly t: 'dot'; readonly pos: number }
  | { readonly t: 'nil'; readonly pos: number }
  | { readonly t: 'bool'; readonly pos: number; readonly value: boolean }
  | { readonly t: 'number'; readonly pos: number; readonly text: string; readonly value: number; readonly isFloat: boolean; readonly isInt: boolean }
  | { readonly t: 'string'; readonly pos: number; readonly text: string; readonly value: string }
  | Pipe;

export interface ListNode {
  readonly t: 'list';
  readonly pos: number;
  readonly nodes: Node[];
}

export interface ControlNode {
  readonly t: 'if' | 'with' | 'range';
  readonly pos: number;
  readonly pipe: Pipe;
  readonly list: ListNode;
  readonly elseList?: ListNode;
}

export type Node =
  | ListNode
  | { readonly t: 'text'; readonly pos: number; readonly text: string }
  | { readonly t: 'action'; readonly pos: number; readonly pipe: Pipe }
  | ControlNode
  | { readonly t: 'template'; readonly pos: number; readonly name: string; readonly pipe?: Pipe }
  | { readonly t: 'break' | 'continue'; readonly pos: number };

/** Go's `String()` of a node, used in `at <…>` of execution errors. */
export function argString(a: Arg | Command): string {
  switch (a.t) {
    case 'field': return a.idents.map((i) => `.${i}`).join('');
    case 'var': return a.idents.join('.');
    case 'ident': return a.name;
    case 'chain': return `${a.node.t === 'pipe' ? `(${argString(a.node)})` : argString(a.node)}${a.fields.map((f) => `.${f}`).join('')}`;
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'bool': return String(a.value);
    case 'number': return a.text;
    case 'string': return a.text;
    case 'cmd': return a.args.map((x) => (x.t === 'pipe' ? `(${argString(x)})` : argString(x))).join(' ');
    case 'pipe': {
      const decl = a.decl.length > 0 ? `${a.decl.join(', ')} ${a.isAssign ? '=' : ':='} ` : '';
      return decl + a.cmds.map(argString).join(' | ');
    }
  }
}
