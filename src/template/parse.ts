/**
 * Nunjucks' parser with positions where nunjucks gives none: a tag left open at the end of the
 * file (`{% if %}` without `{% endif %}`) fails with no line at all, so the parser keeps the tags
 * it is inside of and reports such an error at the innermost one, the construct to fix.
 * Also: the AST node type and constructors the other template modules walk.
 */
import nodesModule from 'nunjucks/src/nodes.js';
import parserSource from 'nunjucks/src/parser.js';
import lexerModule from 'nunjucks/src/lexer.js';
import libModule from 'nunjucks/src/lib.js';

/** A node of nunjucks' AST; lineno/colno are 0-based. */
export interface AstNode {
  lineno: number;
  colno: number;
  readonly fields: readonly string[];
  [field: string]: unknown;
}
export type NodeCtor = new (lineno: number, colno: number, ...fields: unknown[]) => AstNode;

export const nodes = nodesModule as Record<string, NodeCtor>;

interface Token {
  readonly type: string;
  readonly value: string;
  readonly lineno: number;
  readonly colno: number;
}
interface ParserInstance {
  peekToken(): Token | null;
  parseStatement(): AstNode | null;
  error(msg: string, lineno?: number, colno?: number): Error;
  parseAsRoot(): AstNode;
  extensions: unknown;
}
const parserModule = parserSource as { Parser: new (tokens: unknown) => ParserInstance };
const lexer = lexerModule as { lex(src: string, opts: unknown): Tokenizer };
const lib = libModule as { TemplateError: new (message: string, lineno: number, colno: number) => Error };

/** Is `n` one of these node types (subclasses included)? */
export const is = (n: unknown, ...types: string[]): boolean => types.some((t) => n instanceof nodes[t]);

/** Tags a statement opens and must close. */
const BLOCK_TAGS = new Set(['if', 'ifAsync', 'for', 'asyncEach', 'asyncAll', 'block', 'macro', 'call', 'filter', 'switch', 'raw', 'verbatim', 'set']);

/** What the token stream has opened: the latest `{%`, and a `{{`, `{%` or `{#` not closed yet. */
interface Delimiters {
  blockStart?: Token;
  unclosed?: Token;
}

interface Tokenizer {
  nextToken(): Token | null;
  readonly lineno: number;
  readonly colno: number;
}

/** Watch every token the lexer hands out (each exactly once, whatever the parser peeks); the lexer's
 *  own errors (a `{#` never closed) get the position nunjucks leaves out. */
function watchTokens(tokens: Tokenizer): Delimiters {
  const seen: Delimiters = {};
  const next = tokens.nextToken.bind(tokens);
  tokens.nextToken = () => {
    const start = { lineno: tokens.lineno, colno: tokens.colno };
    let tok: Token | null;
    try {
      tok = next();
    } catch (e) {
      if (!(e instanceof Error) || 'lineno' in e) throw e;
      // an unfinished comment is reported where it starts, anything else where the lexer stopped
      const eof = /end of file/.test(e.message);
      const at = eof ? start : { lineno: tokens.lineno, colno: tokens.colno };
      throw new lib.TemplateError(eof ? `{# is not closed before the end of the file (${e.message})` : e.message, at.lineno + 1, at.colno + 1);
    }
    if (tok?.type === 'block-start') seen.blockStart = seen.unclosed = tok;
    else if (tok?.type === 'variable-start') seen.unclosed = tok;
    else if (tok?.type === 'block-end' || tok?.type === 'variable-end') seen.unclosed = undefined;
    else if (tok?.type === 'comment') seen.unclosed = /#\}$/.test(tok.value) ? undefined : tok;
    return tok;
  };
  return seen;
}

interface OpenTag {
  readonly name: string;
  /** Its `{%`. */
  readonly at: Token;
}

class TrackingParser extends parserModule.Parser {
  /** Set by parseSource (nunjucks' constructor runs `init`, so no field initialisers here). */
  declare delimiters: Delimiters;
  /** The block tags being parsed, innermost last. */
  declare open: OpenTag[];

  override parseStatement(): AstNode | null {
    const tok = this.peekToken();
    const tracked = tok !== null && BLOCK_TAGS.has(tok.value) && this.delimiters.blockStart !== undefined;
    if (tracked) this.open.push({ name: tok.value, at: this.delimiters.blockStart! });
    const node = super.parseStatement();
    // a thrown error leaves the stack as it is: error() below reads it
    if (tracked) this.open.pop();
    return node;
  }

  /** An error at the end of the file (no token left, no position given) is placed at what was left
   *  open: an unfinished `{{`/`{%`/`{#`, else the innermost block tag without its end tag. */
  override error(msg: string, lineno?: number, colno?: number): Error {
    if ((lineno === undefined || colno === undefined) && this.peekToken() === null) {
      const unclosed = this.delimiters.unclosed;
      const tag = this.open[this.open.length - 1];
      if (unclosed) return super.error(`${unclosed.value.slice(0, 2)} is not closed before the end of the file (${msg})`, unclosed.lineno, unclosed.colno);
      if (tag) return super.error(`{% ${tag.name} %} is not closed before the end of the file (${msg})`, tag.at.lineno, tag.at.colno);
    }
    return super.error(msg, lineno, colno);
  }
}

/** Parse Nunjucks source like `nunjucks/src/parser.js`'s `parse`, with the positions above. */
export function parseSource(src: string, extensions: unknown, opts: unknown): AstNode {
  const tokens = lexer.lex(src, opts);
  const p = new TrackingParser(tokens);
  p.delimiters = watchTokens(tokens);
  p.open = [];
  if (extensions !== undefined) p.extensions = extensions;
  return p.parseAsRoot();
}

/** Every node of `ast` (depth first, in source order) for which `pick` holds. */
export function findNodes(ast: unknown, pick: (n: AstNode) => boolean, out: AstNode[] = []): AstNode[] {
  if (Array.isArray(ast)) {
    for (const c of ast) findNodes(c, pick, out);
    return out;
  }
  if (!is(ast, 'Node')) return out;
  const node = ast as AstNode;
  if (pick(node)) out.push(node);
  for (const f of node.fields) findNodes(node[f], pick, out);
  return out;
}
