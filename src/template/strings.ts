/**
 * confd's string, path, encoding and parsing helpers with Go semantics (strings.Split,
 * path.Base/Dir, strconv.ParseBool/Atoi, base64.StdEncoding). Pure functions; a helper that
 * rejects its input throws, and the engine reports the template file:line:col.
 */

export class TemplateFunctionError extends Error {
  constructor(fn: string, message: string, opts?: { cause?: unknown }) {
    super(`${fn}: ${message}`, opts);
    this.name = 'TemplateFunctionError';
  }
}

export function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : String(v);
}

/** Go `path.Clean`. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** Go `path.Base`: last element, trailing slashes removed; `""` → `.`, all slashes → `/`. */
export function base(v: unknown): string {
  let p = str(v);
  if (p === '') return '.';
  if (p.charCodeAt(p.length - 1) === 47) p = p.replace(/\/+$/, '');
  if (p === '') return '/';
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Go `path.Dir`: everything but the last element, cleaned. */
export function dir(v: unknown): string {
  const p = str(v);
  return cleanPath(p.slice(0, p.lastIndexOf('/') + 1));
}

/** Go `strings.Split`: empty separator splits into characters; empty input → `[""]`. */
export function split(s: unknown, sep: unknown): string[] {
  const text = str(s);
  const by = str(sep);
  if (by === '') return [...text];
  return text.split(by);
}

export function join(list: unknown, sep: unknown): string {
  if (!Array.isArray(list)) throw new TemplateFunctionError('join', `expected a list, got ${typeof list}`);
  return list.map(str).join(str(sep));
}

export function toUpper(s: unknown): string {
  return str(s).toUpperCase();
}

export function toLower(s: unknown): string {
  return str(s).toLowerCase();
}

export function contains(s: unknown, sub: unknown): boolean {
  return str(s).includes(str(sub));
}

/** Go `strings.Replace`: the first `n` non-overlapping matches, all when `n < 0` (or omitted). */
export function replace(s: unknown, oldS: unknown, newS: unknown, n?: unknown): string {
  const text = str(s);
  const from = str(oldS);
  const to = str(newS);
  const limit = n === undefined || n === null ? -1 : Number(n);
  if (!Number.isInteger(limit)) throw new TemplateFunctionError('replace', `n must be an integer, got ${str(n)}`);
  if (limit === 0) return text;
  if (from === '') {
    const chars = [...text];
    let out = '';
    let done = 0;
    for (let i = 0; i <= chars.length; i++) {
      if (limit < 0 || done < limit) {
        out += to;
        done++;
      }
      if (i < chars.length) out += chars[i];
    }
    return out;
  }
  let out = '';
  let rest = text;
  let done = 0;
  while (limit < 0 || done < limit) {
    const at = rest.indexOf(from);
    if (at < 0) break;
    out += rest.slice(0, at) + to;
    rest = rest.slice(at + from.length);
    done++;
  }
  return out + rest;
}

export function trimSuffix(s: unknown, suffix: unknown): string {
  const text = str(s);
  const suf = str(suffix);
  return suf !== '' && text.endsWith(suf) ? text.slice(0, -suf.length) : text;
}

export function trimPrefix(s: unknown, prefix: unknown): string {
  const text = str(s);
  const pre = str(prefix);
  return pre !== '' && text.startsWith(pre) ? text.slice(pre.length) : text;
}

export function base64Encode(s: unknown): string {
  return Buffer.from(str(s), 'utf8').toString('base64');
}

/** Standard base64 with padding, strict like Go's `base64.StdEncoding.DecodeString`. */
export function base64Decode(s: unknown): string {
  const text = str(s);
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new TemplateFunctionError('base64Decode', 'illegal base64 data');
  }
  return Buffer.from(text, 'base64').toString('utf8');
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go `strconv.ParseBool`. */
export function parseBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  const s = str(v);
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw new TemplateFunctionError('parseBool', `invalid syntax: ${JSON.stringify(s)}`);
}

/** Go `strconv.Atoi`: optional sign and decimal digits only. */
export function atoi(v: unknown): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  const s = str(v);
  if (!/^[+-]?\d+$/.test(s)) throw new TemplateFunctionError('atoi', `invalid syntax: ${JSON.stringify(s)}`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new TemplateFunctionError('atoi', `value out of range: ${JSON.stringify(s)}`);
  return n;
}

/** confd `json`: decode a JSON object. */
export function json(s: unknown): Record<string, unknown> {
  const v = parseJsonStrict('json', s);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TemplateFunctionError('json', 'not a JSON object');
  return v as Record<string, unknown>;
}

/** confd `jsonArray`: decode a JSON array. */
export function jsonArray(s: unknown): unknown[] {
  const v = parseJsonStrict('jsonArray', s);
  if (!Array.isArray(v)) throw new TemplateFunctionError('jsonArray', 'not a JSON array');
  return v;
}

function parseJsonStrict(fn: string, s: unknown): unknown {
  try {
    return JSON.parse(str(s));
  } catch (e) {
    throw new TemplateFunctionError(fn, (e as Error).message, { cause: e });
  }
}

/** confd `map k1 v1 k2 v2…`: a string-keyed map; odd count or a non-string key is an error. */
export function makeMap(...args: unknown[]): Record<string, unknown> {
  if (args.length % 2 !== 0) throw new TemplateFunctionError('map', 'expects an even number of arguments');
  const out: Record<string, unknown> = Object.create(null);
  for (let i = 0; i < args.length; i += 2) {
    const k = args[i];
    if (typeof k !== 'string') throw new TemplateFunctionError('map', `key ${i / 2} is not a string`);
    out[k] = args[i + 1];
  }
  return out;
}
