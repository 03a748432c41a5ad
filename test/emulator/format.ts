/**
 * What rancher-metadata's `main.go` and `config/answers.go` do with a looked-up value
 * (rancher-haproxy.md §2.2–§2.3): content negotiation, path walking (index, `name`, `uuid`,
 * lower-case retry), Go-style JSON, the plain-text listing format, and the error bodies.
 */
import { stringify as yamlStringify } from 'yaml';

export const OFFERS = [
  'text/plain',
  'application/json',
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
] as const;
export type Offer = (typeof OFFERS)[number];

/** gddo `httputil.NegotiateContentType` over OFFERS with default `text/plain`. */
export function negotiate(accept: string | undefined): Offer {
  const specs = (accept ?? '')
    .split(',')
    .map((part) => {
      const [value, ...params] = part.trim().split(';').map((x) => x.trim());
      const q = params.find((p) => p.startsWith('q='));
      return { value: value.toLowerCase(), q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((s) => s.value !== '' && Number.isFinite(s.q));
  let best: Offer = 'text/plain';
  let bestQ = -1;
  let bestWild = 3;
  for (const offer of OFFERS) {
    for (const spec of specs) {
      if (spec.q === 0 || spec.q < bestQ) continue;
      let wild: number;
      if (spec.value === '*/*') wild = 2;
      else if (spec.value.endsWith('/*') && offer.startsWith(spec.value.slice(0, -1))) wild = 1;
      else if (spec.value === offer) wild = 0;
      else continue;
      if (spec.q > bestQ || bestWild > wild) {
        best = offer;
        bestQ = spec.q;
        bestWild = wild;
      }
    }
  }
  return best;
}

export type Lookup = { readonly found: true; readonly value: unknown } | { readonly found: false };

/** Walk `segments` (already unescaped) through `root`; on failure retry with every segment lower-cased. */
export function walk(root: unknown, segments: readonly string[]): Lookup {
  const first = walkOnce(root, segments);
  if (first.found) return first;
  return walkOnce(root, segments.map((s) => s.toLowerCase()));
}

function walkOnce(root: unknown, segments: readonly string[]): Lookup {
  let cur: unknown = root;
  for (const seg of segments) {
    if (Array.isArray(cur)) {
      const next = /^[0-9]+$/.test(seg) ? indexOf(cur, Number(seg)) : byNameOrUuid(cur, seg);
      if (!next.found) return next;
      cur = next.value;
    } else if (isObj(cur) && Object.hasOwn(cur, seg)) {
      cur = cur[seg];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: cur };
}

function indexOf(arr: readonly unknown[], i: number): Lookup {
  return i < arr.length ? { found: true, value: arr[i] } : { found: false };
}

function byNameOrUuid(arr: readonly unknown[], seg: string): Lookup {
  for (const field of ['name', 'uuid']) {
    const hit = arr.find((x) => isObj(x) && x[field] === seg);
    if (hit !== undefined) return { found: true, value: hit };
  }
  return { found: false };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Go `json.Marshal`: sorted map keys, `<`, `>`, `&`, U+2028/2029 escaped, no trailing newline. */
export function goJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObj(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
  return out;
}

/** Go `url.QueryEscape`. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replaceAll('%20', '+')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function goNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return n.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
}

/** The text/plain rendering of a value. */
export function goText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    return value
      .map((item, i) => {
        if (isObj(item) && typeof (item.name ?? item.uuid) === 'string') return `${i}=${item.name ?? item.uuid}\n`;
        return isObj(item) || Array.isArray(item) ? `${i}/\n` : `${i}\n`;
      })
      .join('');
  }
  const obj = value as Record<string, unknown>;
  return Object.keys(obj)
    .sort()
    .map((k) => `${queryEscape(k)}${obj[k] !== null && typeof obj[k] === 'object' ? '/' : ''}\n`)
    .join('');
}

/** Go `fmt.Sprint` of a scalar, as the long poll compares it with `value=` (maps never match). */
export function goSprint(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object') return `\u0000${JSON.stringify(value)}`;
  return String(value);
}

export interface Rendered {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A successful answer. Go sniffs the content type (`text/plain; charset=utf-8` for these bodies). */
export function renderValue(value: unknown, offer: Offer): Rendered {
  let body: string;
  if (offer === 'application/json') body = goJson(value);
  else if (offer === 'text/plain') body = goText(value);
  else body = yamlStringify(sortKeys(value));
  const headers: Record<string, string> = { 'Access-Control-Allow-Origin': '*' };
  if (body !== '') headers['Content-Type'] = 'text/plain; charset=utf-8';
  return { status: 200, headers, body };
}

/** `http.Error` in the negotiated format: 404 `Not found`, 404 `Invalid version`, 400, 500. */
export function renderError(status: number, message: string, offer: Offer): Rendered {
  let body: string;
  if (offer === 'application/json') body = JSON.stringify({ code: status, message, type: 'error' });
  else if (offer === 'text/plain') body = message;
  else body = yamlStringify({ code: status, message, type: 'error' });
  return {
    status,
    headers: {
      'Access-Control-Allow-Origin': '*',
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
    },
    body: `${body}\n`,
  };
}
