/**
 * check_cmd / reload_cmd preparation: placeholder substitution (confd `{{.src}}`, remco `{{.dst}}`,
 * our `{{ src }}`), shell quoting that respects the quotes already around a placeholder, and the
 * printable form of a command for logs and errors.
 */
/** A string runs through `/bin/sh -c`; an array runs without a shell. */
export type CommandSpec = string | readonly string[];

/**
 * `{{ src }}`, `{{src}}`, `{{.src}}`, `{{ .src }}` … Only names present in the vars map (plus the
 * `dest` alias of `dst`) are replaced; anything else (e.g. `docker ps --format '{{.Names}}'`) is kept.
 */
const PLACEHOLDER = /\{\{\s*\.?([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/y;

/** Look a placeholder name up, accepting the confd `dest` spelling for `dst` and vice versa. */
export function lookupVar(vars: Readonly<Record<string, string>>, name: string): string | undefined {
  if (Object.hasOwn(vars, name)) return vars[name];
  if (name === 'dest' && Object.hasOwn(vars, 'dst')) return vars.dst;
  if (name === 'dst' && Object.hasOwn(vars, 'dest')) return vars.dest;
  return undefined;
}

/** Quote a value as one shell word (POSIX single quotes). */
export function shellQuote(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

type QuoteState = 'none' | 'single' | 'double';

/** Quote a value for the position it lands in: bare word, inside '…' or inside "…". */
function quoteFor(state: QuoteState, value: string): string {
  if (state === 'single') return value.replace(/'/g, `'\\''`);
  if (state === 'double') return value.replace(/[\\$`"]/g, (c) => `\\${c}`);
  return shellQuote(value);
}

/** One quoting context: the script itself, or a `$( … )` / `` `…` `` command substitution in it. */
interface Frame {
  quote: QuoteState;
  readonly close: ')' | '`' | null;
  parens: number;
}

/** Advance the quote tracker over one character; returns how many characters were consumed. */
function step(stack: Frame[], script: string, i: number): number {
  const f = stack[stack.length - 1];
  const c = script[i];
  if (f.quote === 'single') {
    if (c === "'") f.quote = 'none';
    return 1;
  }
  if (c === '\\') return 2;
  if (c === '$' && script[i + 1] === '(') {
    stack.push({ quote: 'none', close: ')', parens: 0 });
    return 2;
  }
  if (c === '`') {
    if (f.close === '`' && f.quote === 'none') stack.pop();
    else stack.push({ quote: 'none', close: '`', parens: 0 });
    return 1;
  }
  if (f.quote === 'double') {
    if (c === '"') f.quote = 'none';
    return 1;
  }
  if (c === "'") f.quote = 'single';
  else if (c === '"') f.quote = 'double';
  else if (c === '(') f.parens += 1;
  else if (c === ')' && f.parens > 0) f.parens -= 1;
  else if (c === ')' && f.close === ')' && stack.length > 1) stack.pop();
  return 1;
}

/**
 * Substitute placeholders in a `/bin/sh -c` script. The script is scanned with a small POSIX quote
 * tracker (quotes, backslashes, `$( )` and backticks) so `-f {{ src }}`, `-f '{{ src }}'`,
 * `-f "{{ src }}"` and `"$(cat {{ src }})"` all yield exactly one word.
 */
export function substituteShell(script: string, vars: Readonly<Record<string, string>>): string {
  let out = '';
  const stack: Frame[] = [{ quote: 'none', close: null, parens: 0 }];
  let i = 0;
  while (i < script.length) {
    PLACEHOLDER.lastIndex = i;
    const m = PLACEHOLDER.exec(script);
    const value = m ? lookupVar(vars, m[1]) : undefined;
    if (m && value !== undefined) {
      out += quoteFor(stack[stack.length - 1].quote, value);
      i += m[0].length;
      continue;
    }
    const n = step(stack, script, i);
    out += script.slice(i, i + n);
    i += n;
  }
  return out;
}

/** Substitute placeholders in one argv element, literally (no shell is involved). */
export function substituteArg(arg: string, vars: Readonly<Record<string, string>>): string {
  return arg.replace(new RegExp(PLACEHOLDER.source, 'g'), (whole, name: string) => lookupVar(vars, name) ?? whole);
}

/** A command ready to spawn: file + argv, and how to print it. */
export interface PreparedCommand {
  readonly file: string;
  readonly args: readonly string[];
  /** Human-readable form, used in logs and error messages. */
  readonly display: string;
}

/** A string runs through `/bin/sh -c`; an array runs without a shell. */
export function prepareCommand(cmd: CommandSpec, vars: Readonly<Record<string, string>>): PreparedCommand {
  if (typeof cmd === 'string') {
    const script = substituteShell(cmd, vars);
    return { file: '/bin/sh', args: ['-c', script], display: script };
  }
  if (cmd.length === 0) throw new TypeError('command: an argv array needs at least one element');
  const argv = cmd.map((a) => substituteArg(a, vars));
  return { file: argv[0], args: argv.slice(1), display: argv.map(shellQuote).join(' ') };
}

/** True when a command mentions the staged-file placeholder (confd #104/#275: check the stage, not dest). */
export function mentionsPlaceholder(cmd: CommandSpec, name: string): boolean {
  const parts = typeof cmd === 'string' ? [cmd] : cmd;
  const re = new RegExp(PLACEHOLDER.source, 'g');
  return parts.some((p) => [...p.matchAll(re)].some((m) => m[1] === name));
}
