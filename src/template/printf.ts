/**
 * A small Go `fmt.Sprintf` for templates (`printf("/config/%s/scheme", dir)`): the verbs confd and
 * remco templates use, with Go's flags, width and precision, and Go's in-band error markers
 * (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA ...)`) instead of exceptions.
 */

/** Flags, width and precision of one directive (shared with the Go engine's printf). */
export interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  sharp: boolean;
  width?: number;
  prec?: number;
}

/** Go's `%v` rendering of a template value. */
export function goString(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumberV(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.Key === 'string' && typeof o.Value === 'string') return `{${o.Key} ${o.Value}}`;
    const toString = (o as { toString?: unknown }).toString;
    if (typeof toString === 'function' && toString !== Object.prototype.toString) return String(v);
    const keys = Object.keys(o).sort();
    return `map[${keys.map((k) => `${k}:${goString(o[k])}`).join(' ')}]`;
  }
  return String(v);
}

function formatNumberV(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  return String(n);
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

function bad(verb: string, v: unknown): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v)}=${goString(v)})`;
}

/** Go's padding: spaces, or zeros after a sign or a 0x/0b/0o prefix. */
export function pad(s: string, spec: Spec, numeric: boolean): string {
  const w = spec.width ?? 0;
  if (w === 0) return s;
  const len = [...s].length;
  if (len >= w) return s;
  const fill = w - len;
  if (spec.minus) return s + ' '.repeat(fill);
  if (spec.zero) {
    if (numeric && /^[+\- ]/.test(s)) return s[0] + '0'.repeat(fill) + s.slice(1);
    if (numeric && /^0[xXbo]/.test(s)) return s.slice(0, 2) + '0'.repeat(fill) + s.slice(2);
    return '0'.repeat(fill) + s;
  }
  return ' '.repeat(fill) + s;
}

function sign(n: number | bigint, s: string, spec: Spec): string {
  if (n < 0) return s;
  if (spec.plus) return `+${s}`;
  if (spec.space) return ` ${s}`;
  return s;
}

function formatInt(verb: string, v: unknown, spec: Spec): string | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v)) return undefined;
  const radix = verb === 'd' ? 10 : verb === 'b' ? 2 : verb === 'o' || verb === 'O' ? 8 : 16;
  let digits = Math.abs(v).toString(radix);
  if (verb === 'X') digits = digits.toUpperCase();
  if (spec.prec !== undefined && digits.length < spec.prec) digits = '0'.repeat(spec.prec - digits.length) + digits;
  let prefix = '';
  if (verb === 'O' || (spec.sharp && verb === 'o')) prefix = '0o'.slice(verb === 'o' ? 1 : 0);
  if (spec.sharp && verb === 'x') prefix = '0x';
  if (spec.sharp && verb === 'X') prefix = '0X';
  if (spec.sharp && verb === 'b') prefix = '0b';
  const s = (v < 0 ? '-' : '') + prefix + digits;
  return pad(sign(v, s, spec), spec, true);
}

function formatFloat(verb: string, v: unknown, spec: Spec): string | undefined {
  if (typeof v !== 'number') return undefined;
  if (!Number.isFinite(v)) return pad(sign(v, Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf', spec), { ...spec, zero: false }, true);
  let s: string;
  if (verb === 'f' || verb === 'F') s = v.toFixed(spec.prec ?? 6);
  else if (verb === 'e' || verb === 'E') s = goExp(v.toExponential(spec.prec ?? 6));
  else s = spec.prec === undefined ? formatG(v) : goExp(v.toPrecision(spec.prec === 0 ? 1 : spec.prec)).replace(/(\.\d*?)0+(e|$)/, '$1$2').replace(/\.(e|$)/, '$1');
  if (verb === 'E' || verb === 'G') s = s.toUpperCase();
  return pad(sign(v, s, spec), spec, true);
}

/** Go's shortest `%g`/`%v` for floats: exponent form below 1e-4 or at/above 1e21. */
function formatG(v: number): string {
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) return goExp(v.toExponential());
  return String(v);
}

/** JS writes `1e+5`, Go writes `1e+05`. */
function goExp(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function formatString(verb: string, v: unknown, spec: Spec): string | undefined {
  let s: string;
  if (verb === 's' || verb === 'v') {
    if (verb === 's' && typeof v !== 'string' && !Array.isArray(v) && typeof v !== 'object') {
      if (typeof v === 'number' || typeof v === 'boolean') return undefined;
    }
    s = goString(v);
    if (spec.prec !== undefined) s = [...s].slice(0, spec.prec).join('');
  } else if (verb === 'q') {
    if (typeof v === 'number' && Number.isInteger(v)) s = `'${String.fromCodePoint(v)}'`;
    else if (typeof v !== 'string') return undefined;
    else s = JSON.stringify(v).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  } else if (verb === 'x' || verb === 'X') {
    if (typeof v !== 'string') return undefined;
    s = Buffer.from(v, 'utf8').toString('hex');
    if (verb === 'X') s = s.toUpperCase();
  } else if (verb === 't') {
    if (typeof v !== 'boolean') return undefined;
    s = String(v);
  } else if (verb === 'c') {
    if (typeof v !== 'number' || !Number.isInteger(v)) return undefined;
    s = String.fromCodePoint(v);
  } else return undefined;
  return pad(s, spec, false);
}

function formatOne(verb: string, v: unknown, spec: Spec): string {
  let out: string | undefined;
  switch (verb) {
    case 'v':
      out = typeof v === 'number' ? pad(sign(v, formatNumberV(v), spec), spec, true) : formatString('v', v, spec);
      break;
    case 'd': case 'b': case 'o': case 'O':
      out = formatInt(verb, v, spec);
      break;
    case 'x': case 'X':
      out = typeof v === 'number' ? (Number.isInteger(v) ? formatInt(verb, v, spec) : undefined) : formatString(verb, v, spec);
      break;
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G':
      out = formatFloat(verb, v, spec);
      break;
    case 's': case 'q': case 't': case 'c':
      out = formatString(verb, v, spec);
      break;
    default:
      return `%!${verb}(${typeName(v)}=${goString(v)})`;
  }
  return out ?? bad(verb, v);
}

const SPEC_RE = /%([-+# 0]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])?/y;

/** One `%…` directive of a parsed format; `verb` is undefined for a trailing bare `%` (NOVERB). */
interface Directive {
  readonly verb: string | undefined;
  readonly spec: Spec;
  /** No flags, width or precision: `%s` of a string is the string itself. */
  readonly plain: boolean;
}

/** A format split once into literal text and directives (`%%` folds into the literal text). */
export type ParsedFormat = readonly (string | Directive)[];

export function parseFormat(format: string): ParsedFormat {
  const out: (string | Directive)[] = [];
  let text = '';
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      text += format.slice(i);
      break;
    }
    text += format.slice(i, pct);
    SPEC_RE.lastIndex = pct;
    const m = SPEC_RE.exec(format)!;
    i = SPEC_RE.lastIndex;
    const [whole, flags, width, prec, verb] = m;
    if (verb === '%') {
      text += '%';
      continue;
    }
    if (text !== '') out.push(text);
    text = '';
    const spec: Spec = {
      minus: flags.includes('-'),
      plus: flags.includes('+'),
      space: flags.includes(' '),
      zero: flags.includes('0') && !flags.includes('-'),
      sharp: flags.includes('#'),
      width: width === undefined ? undefined : Number(width),
      prec: prec === undefined ? undefined : Number(prec || '0'),
    };
    out.push({ verb, spec, plain: whole.length === 2 });
  }
  if (text !== '') out.push(text);
  return out;
}

/** Apply a parsed format to `args[first…]`, like Go's `fmt.Sprintf`. */
export function formatParsed(parsed: ParsedFormat, args: ArrayLike<unknown>, first = 0): string {
  let out = '';
  let argi = first;
  for (let p = 0; p < parsed.length; p++) {
    const piece = parsed[p];
    if (typeof piece === 'string') {
      out += piece;
      continue;
    }
    const { verb } = piece;
    if (verb === undefined) {
      out += '%!(NOVERB)';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argi++];
    out += piece.plain && verb === 's' && typeof arg === 'string' ? arg : formatOne(verb, arg, piece.spec);
  }
  if (argi < args.length) {
    const extra = Array.prototype.slice.call(args, argi) as unknown[];
    out += `%!(EXTRA ${extra.map((a) => `${typeName(a)}=${goString(a)}`).join(', ')})`;
  }
  return out;
}

/** Format like Go's `fmt.Sprintf`. */
export function sprintf(format: string, ...args: unknown[]): string {
  return formatParsed(parseFormat(format), args);
}

/**
 * `sprintf` with the parsed formats kept in a small LRU owned by the returned function (one per
 * template engine): templates call `printf` with a handful of constant formats many times per render.
 */
export function createSprintf(limit = 256): (format: string, ...args: unknown[]) => string {
  const cache = new Map<string, ParsedFormat>();
  // `arguments` rather than a rest parameter: no argument array per call.
  return function printf(format: string): string {
    if (typeof format !== 'string') return formatParsed(parseFormat(format), arguments, 1);
    let parsed = cache.get(format);
    if (parsed === undefined) {
      parsed = parseFormat(format);
      if (cache.size >= limit) cache.delete(cache.keys().next().value!);
      cache.set(format, parsed);
    }
    return formatParsed(parsed, arguments, 1);
  } as (format: string, ...args: unknown[]) => string;
}
