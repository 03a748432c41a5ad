/**
 * Errors of the Go template engine with the template's line and column (1-based), computed from
 * the byte offset a token or node carries. The engine turns them into TemplateError(file:line:col).
 */

export function lineCol(input: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = input.indexOf('\n'); i >= 0 && i < offset; i = input.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

export class GoTemplateError extends Error {
  readonly template: string;
  readonly line: number;
  readonly column: number;
  constructor(template: string, input: string, offset: number, message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'GoTemplateError';
    this.template = template;
    const { line, column } = lineCol(input, offset);
    this.line = line;
    this.column = column;
  }
}

/** A parse (or lex) error. */
export class GoTemplateSyntaxError extends GoTemplateError {}

/** An error while executing (`executing "name" at <node>: …` in Go). */
export class GoTemplateExecError extends GoTemplateError {}
