/**
 * Go's `fmt.Sprintf`, `fmt.Sprint` and `fmt.Sprintln` over the Go engine's values (values.ts):
 * verbs %v %s %d %q %x %X %o %b %f %e %g %t %c %T with flags, width and precision, Go's float
 * formatting, and Go's in-band error markers (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA …)`).
 */
import { pad, parseFormat, type ParsedFormat, type Spec } from '../printf.ts';
import { formatFloat, formatV, GoFloat, typeName } from './values.ts';

function signed(neg: boolean, s: string, spec: Spec): string {
  if (neg) return `-${s}`;
  if (spec.plus) return `+${s}`;
  if (spec.space) return ` ${s}`;
  return s;
}

/** Go `strconv.Quote`. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (/[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch) || ch === ' ') out += ch;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

const bad = (verb: string, v: unknown): string =>
  v === null || v === undefined ? `%!${verb}(<nil>)` : `%!${verb}(${typeName(v)}=${formatV(v)})`;

function fmtInt(verb: string, n: number, spec: Spec): string {
  const radix = verb === 'd' || verb === 'v' ? 10 : verb === 'b' ? 2 : verb === 'o' || verb === 'O' ? 8 : 16;
  let digits = Math.abs(n).toString(radix);
  if (verb === 'X') digits = digits.toUpperCase();
  if (spec.prec !== undefined && digits.length < spec.prec) digits = '0'.repeat(spec.prec - digits.length) + digits;
  if (spec.prec === 0 && n === 0) digits = '';
  let prefix = '';
  if (verb === 'O') prefix = '0o';
  else if (spec.sharp) prefix = verb === 'o' ? '0' : verb === 'x' ? '0x' : verb === 'X' ? '0X' : verb === 'b' ? '0b' : '';
  const body = prefix + digits;
  if (spec.zero && spec.width !== undefined && spec.prec === undefined) {
    const s = signed(n < 0, body, spec);
    return pad(s, spec, true);
  }
  return pad(signed(n < 0, body, spec), { ...spec, zero: false }, true);
}

function expForm(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function fmtFloat(verb: string, f: number, spec: Spec): string {
  if (!Number.isFinite(f)) {
    const s = Number.isNaN(f) ? 'NaN' : 'Inf';
    return pad(Number.isNaN(f) ? (spec.plus ? '+NaN' : spec.space ? ' NaN' : 'NaN') : signed(f < 0, s, spec.plus || spec.space ? spec : { ...spec, plus: f > 0 && verb === 'v' }), { ...spec, zero: false }, true);
  }
  const neg = f < 0 || Object.is(f, -0);
  const a = Math.abs(f);
  let s: string;
  const v = verb.toLowerCase();
  if (v === 'f') s = a.toFixed(spec.prec ?? 6);
  else if (v === 'e') s = expForm(a.toExponential(spec.prec ?? 6));
  else if (spec.prec === undefined) s = formatFloat(a);
  else {
    const p = spec.prec === 0 ? 1 : spec.prec;
    const e = Number(a.toExponential(p - 1).split('e')[1]);
    s = e < -4 || e >= p ? expForm(a.toExponential(p - 1)) : a.toFixed(Math.max(0, p - 1 - e));
    if (!spec.sharp && s.includes('.')) s = s.replace(/\.?0+(e|$)/, '$1');
  }
  if (verb === 'E' || verb === 'G') s = s.toUpperCase();
  return pad(signed(neg, s, spec), spec, true);
}

function fmtString(s: string, spec: Spec): string {
  if (spec.prec !== undefined) s = [...s].slice(0, spec.prec).join('');
  return pad(s, spec, false);
}

function formatArg(verb: string, v: unknown, spec: Spec): string {
  if (verb === 'T') return pad(v === null || v === undefined ? '<nil>' : typeName(v), spec, false);
  if (Array.isArray(v) && verb !== 'v' && verb !== 'T') {
    if (verb === 'q' || verb === 's' || verb === 'd' || verb === 'x' || verb === 'X' || verb === 'f' || verb === 'g' || verb === 'e' || verb === 't' || verb === 'c' || verb === 'b' || verb === 'o') {
      return `[${v.map((x) => formatArg(verb, x, spec)).join(' ')}]`;
    }
  }
  const isInt = typeof v === 'number' && Number.isInteger(v);
  const f = v instanceof GoFloat ? v.value : typeof v === 'number' && !isInt ? v : undefined;
  switch (verb) {
    case 'v':
      if (isInt) return fmtInt('d', v as number, spec);
      if (f !== undefined) return fmtFloat('g', f, spec);
      if (typeof v === 'string') return fmtString(v, spec);
      return pad(formatV(v), spec, false);
    case 'd': case 'b': case 'o': case 'O':
      return isInt ? fmtInt(verb, v as number, spec) : bad(verb, v);
    case 'x': case 'X':
      if (isInt) return fmtInt(verb, v as number, spec);
      if (typeof v === 'string') {
        let h = Buffer.from(v, 'utf8').toString('hex');
        if (verb === 'X') h = h.toUpperCase();
        return pad(spec.sharp ? (verb === 'X' ? '0X' : '0x') + h : h, spec, false);
      }
      return bad(verb, v);
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G':
      return f !== undefined ? fmtFloat(verb, f, spec) : bad(verb, v);
    case 's':
      if (typeof v === 'string') return fmtString(v, spec);
      if (typeof v === 'number' || typeof v === 'boolean' || v instanceof GoFloat || v === null || v === undefined) return bad(verb, v);
      return fmtString(formatV(v), spec);
    case 'q':
      if (typeof v === 'string') return pad(spec.sharp && !v.includes('`') ? `\`${v}\`` : goQuote(v), spec, false);
      if (isInt) return pad(`'${String.fromCodePoint(v as number)}'`, spec, false);
      return bad(verb, v);
    case 't':
      return typeof v === 'boolean' ? pad(String(v), spec, false) : bad(verb, v);
    case 'U':
      return isInt ? pad(`U+${(v as number).toString(16).toUpperCase().padStart(4, '0')}`, spec, false) : bad(verb, v);
    case 'c':
      return isInt ? pad(String.fromCodePoint(v as number), spec, false) : bad(verb, v);
    default:
      return bad(verb, v);
  }
}

/** A parser remembering the last formats it parsed (owned by one engine: no module state). */
export function formatParser(limit = 256): (format: string) => ParsedFormat {
  const cache = new Map<string, ParsedFormat>();
  return (format) => {
    let parsed = cache.get(format);
    if (parsed === undefined) {
      parsed = parseFormat(format);
      if (cache.size >= limit) cache.clear();
      cache.set(format, parsed);
    }
    return parsed;
  };
}

export function goSprintf(format: string, args: readonly unknown[], parse: (format: string) => ParsedFormat = parseFormat): string {
  const parsed = parse(format);
  let out = '';
  let i = 0;
  for (const piece of parsed) {
    if (typeof piece === 'string') {
      out += piece;
      continue;
    }
    if (piece.verb === undefined) {
      out += '%!(NOVERB)';
      continue;
    }
    if (i >= args.length) {
      out += `%!${piece.verb}(MISSING)`;
      continue;
    }
    const arg = args[i++];
    out += piece.plain && piece.verb === 's' && typeof arg === 'string' ? arg : formatArg(piece.verb, arg, piece.spec);
  }
  if (i < args.length) {
    out += `%!(EXTRA ${args.slice(i).map((a) => (a === null || a === undefined ? '<nil>' : `${typeName(a)}=${formatV(a)}`)).join(', ')})`;
  }
  return out;
}

const isStr = (v: unknown): boolean => typeof v === 'string';

/** `fmt.Sprint`: a space between operands when neither side is a string. */
export function goSprint(args: readonly unknown[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    if (i > 0 && !isStr(args[i]) && !isStr(args[i - 1])) out += ' ';
    out += formatV(args[i]);
  }
  return out;
}

/** `fmt.Sprintln`: always a space between operands, and a newline. */
export function goSprintln(args: readonly unknown[]): string {
  return `${args.map((a) => formatV(a)).join(' ')}\n`;
}
