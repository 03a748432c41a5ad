/**
 * The lexer of Go's text/template (text/template/parse/lex.go): text, actions between `{{` and
 * `}}`, trim markers (`{{- ` and ` -}}` eat the adjacent white space), comments `{{/* *\/}}`, and
 * the tokens inside actions. Every token keeps its byte offset so errors name file:line:col.
 */
import { GoTemplateSyntaxError } from './errors.ts';

export type TokenType =
  | 'text' | 'left' | 'right' | 'space' | 'lparen' | 'rparen' | 'pipe' | 'declare' | 'assign' | 'comma'
  | 'identifier' | 'field' | 'variable' | 'dot' | 'string' | 'raw' | 'char' | 'number' | 'bool' | 'nil'
  | 'keyword' | 'eof';

export interface Token {
  readonly type: TokenType;
  readonly value: string;
  readonly pos: number;
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  'block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'template', 'with',
]);

const SPACE = /[ \t\r\n]/;
const isSpace = (c: string | undefined): boolean => c !== undefined && SPACE.test(c);
const isAlnum = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{Nd}_]/u.test(c);

function trimRightSpace(s: string): string {
  return s.replace(/[ \t\r\n]+$/, '');
}

/** Tokens of a whole template, ending with `eof`. Throws GoTemplateSyntaxError(offset). */
export function lex(name: string, input: string): Token[] {
  const out: Token[] = [];
  let pos = 0;
  let trimNext = false;
  const fail = (at: number, msg: string): never => {
    throw new GoTemplateSyntaxError(name, input, at, msg);
  };
  while (pos <= input.length) {
    let open = input.indexOf('{{', pos);
    if (open < 0) open = input.length;
    let text = input.slice(pos, open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    const leftTrim = open < input.length && input[open + 2] === '-' && isSpace(input[open + 3]);
    if (leftTrim) text = trimRightSpace(text);
    if (text !== '') out.push({ type: 'text', value: text, pos });
    if (open >= input.length) break;
    let p = open + 2 + (leftTrim ? 2 : 0);
    // A comment: `{{/*` right after the delimiter (and trim marker).
    if (input.startsWith('/*', p)) {
      const close = input.indexOf('*/', p + 2);
      if (close < 0) fail(open, 'unclosed comment');
      p = close + 2;
      const rt = isSpace(input[p]) && input.startsWith('-}}', p + 1);
      if (rt) p += 2;
      if (!input.startsWith('}}', p)) fail(open, 'comment ends before closing delimiter');
      trimNext = rt;
      pos = p + 2;
      continue;
    }
    out.push({ type: 'left', value: '{{', pos: open });
    const r = lexAction(name, input, p, out);
    trimNext = r.trim;
    pos = r.end;
  }
  out.push({ type: 'eof', value: '', pos: input.length });
  return out;
}

/** Lex inside an action from `p`; returns the offset after `}}` and whether it was ` -}}`. */
function lexAction(name: string, input: string, start: number, out: Token[]): { end: number; trim: boolean } {
  let p = start;
  let depth = 0;
  const fail = (at: number, msg: string): never => {
    throw new GoTemplateSyntaxError(name, input, at, msg);
  };
  const push = (type: TokenType, from: number, to: number): void => {
    out.push({ type, value: input.slice(from, to), pos: from });
  };
  for (;;) {
    if (isSpace(input[p]) && input.startsWith('-}}', p + 1)) {
      if (depth > 0) fail(p, 'unclosed left paren');
      push('right', p + 2, p + 4);
      return { end: p + 4, trim: true };
    }
    if (input.startsWith('}}', p)) {
      if (depth > 0) fail(p, 'unclosed left paren');
      push('right', p, p + 2);
      return { end: p + 2, trim: false };
    }
    const c = input[p];
    if (c === undefined) fail(p, 'unclosed action');
    const from = p;
    if (isSpace(c)) {
      while (isSpace(input[p]) && !input.startsWith('-}}', p + 1)) p++;
      push('space', from, p);
    } else if (c === '=') {
      push('assign', p, ++p);
    } else if (c === ':') {
      if (input[p + 1] !== '=') fail(p, 'expected :=');
      p += 2;
      push('declare', from, p);
    } else if (c === '|') {
      push('pipe', p, ++p);
    } else if (c === ',') {
      push('comma', p, ++p);
    } else if (c === '"') {
      p++;
      for (;;) {
        const d = input[p];
        if (d === '\\') p += 2;
        else if (d === undefined || d === '\n') fail(from, 'unterminated quoted string');
        else if (d === '"') break;
        else p++;
      }
      push('string', from, ++p);
    } else if (c === '`') {
      const close = input.indexOf('`', p + 1);
      if (close < 0) fail(from, 'unterminated raw quoted string');
      p = close + 1;
      push('raw', from, p);
    } else if (c === "'") {
      p++;
      for (;;) {
        const d = input[p];
        if (d === '\\') p += 2;
        else if (d === undefined || d === '\n') fail(from, 'unterminated character constant');
        else if (d === "'") break;
        else p++;
      }
      push('char', from, ++p);
    } else if (c === '$') {
      p++;
      while (isAlnum(input[p])) p++;
      checkTerminator(p);
      push('variable', from, p);
    } else if (c === '.' && !/[0-9]/.test(input[p + 1] ?? '')) {
      p++;
      if (!isAlnum(input[p])) {
        push('dot', from, p);
        continue;
      }
      while (isAlnum(input[p])) p++;
      checkTerminator(p);
      push('field', from, p);
    } else if (c === '+' || c === '-' || c === '.' || /[0-9]/.test(c)) {
      const m = /^[+-]?(?:0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?|0[bB][01_]+|0[oO][0-7_]+|[0-9_]*\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?)i?/.exec(input.slice(p))!;
      p += m[0].length;
      if (m[0] === '' || m[0] === '+' || m[0] === '-' || isAlnum(input[p])) {
        while (isAlnum(input[p]) || input[p] === '.') p++;
        fail(from, `bad number syntax: "${input.slice(from, Math.max(p, from + 1))}"`);
      }
      push('number', from, p);
    } else if (isAlnum(c)) {
      while (isAlnum(input[p])) p++;
      checkTerminator(p);
      const word = input.slice(from, p);
      push(KEYWORDS.has(word) ? 'keyword' : word === 'true' || word === 'false' ? 'bool' : word === 'nil' ? 'nil' : 'identifier', from, p);
    } else if (c === '(') {
      depth++;
      push('lparen', p, ++p);
    } else if (c === ')') {
      depth--;
      if (depth < 0) fail(p, 'unexpected right paren');
      push('rparen', p, ++p);
    } else {
      fail(p, `unrecognized character in action: ${goRune(c)}`);
    }
  }

  function checkTerminator(at: number): void {
    const d = input[at];
    if (d === undefined || isSpace(d) || '.,|:)(='.includes(d) || input.startsWith('}}', at)) return;
    fail(at, `bad character ${goRune(d)}`);
  }
}

function goRune(c: string): string {
  const cp = c.codePointAt(0)!;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

/** Go `strconv.Unquote` for "…", `…` and '…' literals. */
export function unquote(lit: string): string {
  if (lit.startsWith('`')) return lit.slice(1, -1).replace(/\r/g, '');
  const body = lit.slice(1, -1);
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|[abfnrtv\\'"])/g, (_, e: string) => {
    switch (e[0]) {
      case 'x': return String.fromCharCode(parseInt(e.slice(1), 16));
      case 'u': case 'U': return String.fromCodePoint(parseInt(e.slice(1), 16));
      case 'a': return '\x07';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'v': return '\v';
      case '\\': case "'": case '"': return e;
      default: return String.fromCharCode(parseInt(e, 8));
    }
  });
}
