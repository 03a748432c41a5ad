/**
 * The one masking function. Everything keyplate shows to someone (every log line, every error
 * message, /healthz, /metrics) passes through here, so a secret has one way out, and it is shut:
 *
 * - credentials in URLs: `scheme://user:password@host` → `scheme://user:***@host`, and
 *   `scheme://token@host` → `scheme://***@host` (any scheme, with or without `//` as gRPC writes
 *   `dns:user:password@host`, anywhere in a string);
 * - values of secret-looking keys: an object property whose name looks secret (password, passwd,
 *   secret, token, api_key/apikey, private_key, ssl_key, client_key, credential, auth) and a
 *   key/value pair whose key path ends in such a name (`{ key: "/app/db_password", value }`)
 *   become `***`; so do `name=value` and `"name":"value"` in free text;
 * - PEM blocks (`-----BEGIN … PRIVATE KEY-----` to its END line), HAProxy's `stats auth user:pass`
 *   and `Authorization: Basic|Bearer …` headers in free text (command output, diffs).
 *
 * Lowest layer: imports nothing.
 */

export const MASK = '***';

/** A name (property, last segment of a key path, CLI/ENV variable) that looks like it holds a secret. */
const SECRET_NAME = /(?:^|[^a-z0-9])(?:pass(?:word|wd|phrase)?|secret|token|api[_-]?key|apikey|private[_-]?key|ssl[_-]?key|client[_-]?key|credentials?|auth(?:orization)?)$/i;

/** `scheme://userinfo@`, and gRPC's `dns:userinfo@` (userinfo without `/`, whitespace or another `@`). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:(?:\/\/)?)([^\s/@"'<>]+)@/gi;

/** `password=xyz` and `"secret":"xyz"` in free text (not `password: …`, which is how errors name an option). */
const NAMED_VALUE =
  /(\b(?:[a-z0-9_-]*[_-])?(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|private[_-]?key|ssl[_-]?key|client[_-]?key|credentials?)(?:=|"\s*:\s*"))([^\s",;&}]+)/gi;

/** A PEM block, to its END line (or the end of the text when cut). */
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(-----END \1-----|$)/g;
/** HAProxy's `stats auth user:password`. */
const STATS_AUTH = /\b(stats\s+auth\s+[^\s:]+:)\S+/gi;
/** `Authorization: Basic …` and `Bearer …` headers. */
const AUTH_HEADER = /\b(authorization:\s*(?:basic|bearer)\s+)\S+/gi;

/** True when a property name or the last segment of a key path looks like it holds a secret. */
export function isSecretName(name: string): boolean {
  const last = name.split('/').filter((s) => s !== '').pop() ?? name;
  return SECRET_NAME.test(last.replace(/([a-z0-9])([A-Z])/g, '$1_$2'));
}

/** Mask credentials in URLs and `secret=value` pairs inside a string. */
export function maskText(s: string, mask: string = MASK): string {
  if (s.length === 0) return s;
  let out = s;
  if (out.includes('-----BEGIN ')) out = out.replace(PEM_BLOCK, (_m, label: string) => `-----BEGIN ${label}----- ${mask} (PEM contents hidden)`);
  if (/auth/i.test(out)) out = out.replace(STATS_AUTH, `$1${mask}`).replace(AUTH_HEADER, `$1${mask}`);
  if (out.includes('@')) {
    out = out.replace(URL_USERINFO, (_m, scheme: string, info: string) => {
      const colon = info.indexOf(':');
      return colon >= 0 ? `${scheme}${info.slice(0, colon)}:${mask}@` : `${scheme}${mask}@`;
    });
  }
  return out.replace(NAMED_VALUE, (_m, name: string) => `${name}${mask}`);
}

/** Mask one value shown under `name` (a property or key path): all of it when the name looks secret. */
export function maskValue(name: string, value: string): string {
  return isSecretName(name) ? MASK : maskText(value);
}

/**
 * Deep copy of `v` with every string masked (maskText), every property with a secret-looking
 * name replaced, and the `value` of a `{ key, value }` pair whose key looks secret replaced.
 */
export function mask(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return maskText(v);
  if (v === null || typeof v !== 'object' || depth > 20) return v;
  if (Array.isArray(v)) return v.map((x) => mask(x, depth + 1));
  if (v instanceof Error) return maskText(v.stack ?? v.message);
  const o = v as Record<string, unknown>;
  const secretPair = typeof o.key === 'string' && isSecretName(o.key);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) {
    if ((isSecretName(k) || (secretPair && (k === 'value' || k === 'Value'))) && x !== undefined && x !== null && x !== '') out[k] = MASK;
    else out[k] = mask(x, depth + 1);
  }
  return out;
}
