/**
 * A small reader for HAProxy configuration text: comments, quoting and backslash escapes as the
 * 2.6 parser treats them, and the split into sections. It is not a validator (`haproxy -c` is);
 * it only needs to be exact enough that two configs that tokenize the same behave the same.
 */

export const SECTION_KEYWORDS: ReadonlySet<string> = new Set([
  'global', 'defaults', 'frontend', 'backend', 'listen', 'peers', 'resolvers', 'userlist', 'cache',
  'program', 'http-errors', 'ring', 'mailers', 'fcgi-app', 'namespace_list', 'log-forward',
]);

export interface ConfigLine {
  /** Unquoted, unescaped words. */
  readonly tokens: readonly string[];
  /** `file:line` for messages. */
  readonly where: string;
}

export interface ConfigSection {
  readonly kind: string;
  /** Section name ('' for global and anonymous defaults). */
  readonly name: string;
  /** `from <defaults>` on a proxy header, if given. */
  readonly from?: string;
  readonly lines: readonly ConfigLine[];
  readonly where: string;
}

/** Split one line into words: `#` starts a comment outside quotes, `"..."`/`'...'` group, `\x` escapes. */
export function tokenizeLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
      continue;
    }
    if (c === '#') break;
    if (c === ' ' || c === '\t' || c === '\r') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '"' || c === "'") quote = c;
    else if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else cur += c;
  }
  if (inWord) out.push(cur);
  return out;
}

/** Parse config texts (in `-f` order) into sections. Lines before any section are ignored. */
export function parseSections(files: ReadonlyArray<{ readonly path: string; readonly text: string }>): ConfigSection[] {
  const sections: Array<{ kind: string; name: string; from?: string; lines: ConfigLine[]; where: string }> = [];
  for (const f of files) {
    const lines = f.text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const tokens = tokenizeLine(lines[i]);
      if (tokens.length === 0) continue;
      const where = `${f.path}:${i + 1}`;
      if (SECTION_KEYWORDS.has(tokens[0])) {
        const fromIdx = tokens.indexOf('from', 1);
        const name = tokens[1] && tokens[1] !== 'from' ? tokens[1] : '';
        const from = fromIdx > 0 ? tokens[fromIdx + 1] : undefined;
        sections.push({ kind: tokens[0], name, from, lines: [], where });
        continue;
      }
      sections.at(-1)?.lines.push({ tokens, where });
    }
  }
  return sections;
}

/** A canonical string for a token list (NUL-joined: no token can contain NUL). */
export function lineKey(tokens: readonly string[]): string {
  return tokens.join('\0');
}

/** A canonical string for a whole section, for equality checks. */
export function sectionKey(s: ConfigSection): string {
  return [s.kind, s.name, s.from ?? '', ...s.lines.map((l) => lineKey(l.tokens))].join('\n');
}
