/**
 * Masks for everything the status page and `/status` show: credentials in URLs, PEM blocks,
 * passwords and tokens in config lines (`stats auth user:secret`, `password x`), values of keys
 * whose names look secret, and the contents of secret destinations (0600, `.pem`, `.key`).
 * Pure functions; the page never receives a secret to hide, it never gets one at all.
 */

export const MASK = '••••';

/** Key or field names whose values are secrets: password, secret, token, private keys, credentials. */
const SECRET_NAME = /(pass(word|wd|phrase)?|secret|token|credential|private|api[_-]?key|auth|ssl_key|client_key|(^|[_.\-/])key$|\.pem$)/i;

export function isSecretName(name: string): boolean {
  const last = name.split('/').filter(Boolean).pop() ?? name;
  return SECRET_NAME.test(last);
}

/** A destination whose contents are secret: mode without group/other access, or a key/cert file. */
export function isSecretFile(dst: string, mode?: number): boolean {
  if (mode !== undefined && (mode & 0o077) === 0) return true;
  return /\.(pem|key|p12|pfx|crt|jks)$/i.test(dst) || isSecretName(dst);
}

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi;
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(-----END \1-----|$)/g;
const STATS_AUTH = /\b(stats\s+auth\s+[^\s:]+:)\S+/gi;
/** `password x`, `password=x`, `token: x`, `"secret": "x"` (a colon only with a space: `secret-token:80` is a name). */
const SECRET_WORD = /\b((?:insecure-)?password|passwd|secret|token|api[_-]?key|auth[_-]?token)("?\s*=\s*|"?:\s+|\s+)("[^"]*"|'[^']*'|[^\s,;&"']+)/gi;
const BASIC_HEADER = /\b(authorization:\s*(?:basic|bearer)\s+)\S+/gi;

/** Remove secrets from free text (messages, command output, diffs). */
export function maskText(text: string): string {
  return text
    .replace(PEM_BLOCK, (_m, label: string) => `-----BEGIN ${label}----- ${MASK} (PEM contents hidden)`)
    .replace(URL_USERINFO, `$1${MASK}@`)
    .replace(STATS_AUTH, `$1${MASK}`)
    .replace(BASIC_HEADER, `$1${MASK}`)
    .replace(SECRET_WORD, `$1$2${MASK}`);
}

/** A value to show for `key`: masked entirely when the key name looks secret. */
export function maskValue(key: string, value: string): string {
  return isSecretName(key) ? MASK : maskText(value);
}

/** Every string in a JSON-like value through maskText (object keys are left alone). */
export function maskDeep<T>(value: T): T {
  if (typeof value === 'string') return maskText(value) as T;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v);
    return out as T;
  }
  return value;
}
