/**
 * `${VAR}` expansion in string values (after parsing: never in keys or comments).
 *   ${VAR}          the variable; unset → ConfigError naming it (set it, or give a default)
 *   ${VAR:-default} the default when VAR is unset or empty (shell semantics); the default is literal
 *   ${VAR:?message} VAR is required: unset or empty → ConfigError naming it, with the message
 *   $$              a literal `$` (so `$${VAR}` stays `${VAR}`)
 *   any other `$`   kept as written: `pa$word` and shell `$HOME` survive (remco PR #120)
 */
import { child, failAt, isTable, type At } from '../schema/document.ts';

export type Env = Readonly<Record<string, string | undefined>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class UnsetVariable extends Error {
  constructor(
    readonly variable: string,
    /** From `${VAR:?hint}`: the variable is required and this says what to set it to. */
    readonly hint?: string,
  ) {
    super(`environment variable ${variable} is not set`);
  }
}

export class BadReference extends Error {}

/** Expand one string. Throws UnsetVariable / BadReference (the caller adds the location). */
export function expandString(s: string, env: Env): string {
  if (!s.includes('$')) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const d = s.indexOf('$', i);
    if (d < 0) break;
    out += s.slice(i, d);
    if (s[d + 1] === '$') {
      out += '$';
      i = d + 2;
    } else if (s[d + 1] === '{') {
      const end = s.indexOf('}', d + 2);
      if (end < 0) throw new BadReference('unterminated "${": write "$${" for a literal "${"');
      out += substitute(s.slice(d + 2, end), env);
      i = end + 1;
    } else {
      out += '$';
      i = d + 1;
    }
  }
  return out + s.slice(i);
}

function substitute(body: string, env: Env): string {
  const req = body.indexOf(':?');
  if (req >= 0 && (body.indexOf(':-') < 0 || req < body.indexOf(':-'))) {
    const name = body.slice(0, req);
    if (NAME.test(name)) {
      const value = env[name];
      if (value === undefined || value === '') throw new UnsetVariable(name, body.slice(req + 2).trim() || 'it is required');
      return value;
    }
  }
  const sep = body.indexOf(':-');
  const name = sep < 0 ? body : body.slice(0, sep);
  if (!NAME.test(name)) {
    throw new BadReference(`"\${${body}}" is not a variable reference (\${NAME} or \${NAME:-default}); write "$\${" for a literal "\${"`);
  }
  const value = env[name];
  if (sep >= 0) return value === undefined || value === '' ? body.slice(sep + 2) : value;
  if (value === undefined) throw new UnsetVariable(name);
  return value;
}

/** Expand every string value in a parsed TOML tree (returns a new tree; keys untouched). */
export function expandTree(value: unknown, env: Env, at: At): unknown {
  if (typeof value === 'string') {
    try {
      return expandString(value, env);
    } catch (e) {
      if (e instanceof UnsetVariable) {
        if (e.hint !== undefined) throw failAt(at, `environment variable ${e.variable} is required and not set: ${e.hint}`, e);
        throw failAt(at, `environment variable ${e.variable} is not set (set it, or write \${${e.variable}:-default})`, e);
      }
      if (e instanceof BadReference) throw failAt(at, e.message, e);
      throw e;
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => expandTree(v, env, child(at, i)));
  if (isTable(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandTree(v, env, child(at, k));
    return out;
  }
  return value;
}
