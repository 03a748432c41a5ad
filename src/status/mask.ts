/**
 * What the status page and `/status` show goes through the one masking function
 * (secrets/mask.ts: URL credentials, `name=value` secrets, PEM blocks, `stats auth`,
 * Authorization headers), plus what only a page shows: config lines written `password x` or
 * `token: x`, key names that are secret on a page (`…/key`, `….pem`), and the contents of
 * secret destinations (0600, `.pem`, `.key`). Pure functions; the page never receives a secret
 * to hide, it never gets one at all.
 */
import { isSecretName as isSecretForLogs, maskText as maskForLogs } from '../secrets/mask.ts';

/** The page's mask (the logs' is `***`). */
export const MASK = '••••';

/**
 * Names that are secret on a page beyond the logs' rule (which only looks at how a name ends): a
 * secret word anywhere in the name (`docker9:secret-token:80`), any `auth`/`private`, a bare `key`
 * segment, `.pem`.
 */
const PAGE_SECRET_NAME = /(pass(word|wd|phrase)?|secret|token|credential|private|api[_-]?key|auth|ssl_key|client_key|(^|[_.\-/])key$|\.pem$)/i;

export function isSecretName(name: string): boolean {
  const last = name.split('/').filter(Boolean).pop() ?? name;
  return isSecretForLogs(name) || PAGE_SECRET_NAME.test(last);
}

/** A destination whose contents are secret: mode without group/other access, or a key/cert file. */
export function isSecretFile(dst: string, mode?: number): boolean {
  if (mode !== undefined && (mode & 0o077) === 0) return true;
  return /\.(pem|key|p12|pfx|crt|jks)$/i.test(dst) || isSecretName(dst);
}

/** `password x`, `password=x`, `token: x`, `"secret": "x"` (a colon only with a space: `secret-token:80` is a name). */
const SECRET_WORD = /\b((?:insecure-)?password|passwd|secret|token|api[_-]?key|auth[_-]?token)("?\s*=\s*|"?:\s+|\s+)("[^"]*"|'[^']*'|[^\s,;&"']+)/gi;

/** Remove secrets from free text (messages, command output, diffs), with the page's mask. */
export function maskText(text: string): string {
  return maskForLogs(text, MASK).replace(SECRET_WORD, (m, word: string, sep: string, value: string) => (value === MASK ? m : `${word}${sep}${MASK}`));
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
