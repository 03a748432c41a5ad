/**
 * Flags users already type: confd and remco spell long options with one dash (`-onetime`,
 * `-config file`, `-log-level=debug`). Before commander parses, such a word is rewritten to the
 * long option it names; an unknown one becomes `--word` so commander's "did you mean" applies.
 */

/** confd/remco spellings that differ from ours (beyond the leading dash). */
export const FLAG_ALIASES: ReadonlyMap<string, string> = new Map([
  ['config-file', 'config'], // confd's -config-file
  ['dry-run', 'noop'],
]);

export interface ArgvSpelling {
  /** Long option names we accept, without dashes (`onetime`, `log-level`). */
  readonly longs: ReadonlySet<string>;
  /** Short option letters (`c`, `V`, `h`): `-cfile` keeps meaning `-c file`. */
  readonly shorts: ReadonlySet<string>;
}

const SINGLE_DASH_WORD = /^-([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)(=.*)?$/s;

/** Rewrite single-dash long options to `--name` (before a bare `--` only). */
export function normalizeArgv(argv: readonly string[], spelling: ArgvSpelling): string[] {
  const out: string[] = [];
  let rest = false;
  for (const arg of argv) {
    if (rest || arg === '--') {
      rest = true;
      out.push(arg);
      continue;
    }
    const m = SINGLE_DASH_WORD.exec(arg);
    if (!m || m[1].length < 2) {
      out.push(arg);
      continue;
    }
    const [, word, value = ''] = m;
    const name = FLAG_ALIASES.get(word) ?? word;
    if (spelling.longs.has(name)) out.push(`--${name}${value}`);
    else if (!spelling.shorts.has(word[0])) out.push(`--${word}${value}`); // unknown: commander suggests the closest
    else out.push(arg); // `-cfile`: a short option with its value attached
  }
  return out;
}
