/**
 * Rewrites the pongo2 (remco) idioms Nunjucks does not parse into Nunjucks syntax, so remco
 * templates render unchanged. Only the inside of `{{ }}` and `{% %}` is touched: raw text,
 * comments, `{% raw %}`/`{% verbatim %}` bodies and string literals are copied as they are.
 * Newlines are never added or removed, so line numbers in errors stay exact; columns stay exact
 * except right after a rewritten `filter:arg`, `!`, `&&` or a `for … in` missing a space.
 *
 * Rewrites:
 *  - `x|f:arg` → `x|f(arg)` (and `|default:arg` → `|default(arg,true)`: pongo2's falsy semantics)
 *  - `{% for v in expr reversed|sorted %}` → `{% for v in(expr)|_srt|_rev %}`
 *  - `forloop.Counter/Counter0/Revcounter/Revcounter0/First/Last` → `loop.index/…`
 *  - `True/False/None` → `true/false/none`; `&&` → `and`, `||` → `or`, `!x` → `not x`
 *  - `{% empty %}` (for-loop else) → `{% else %}`
 */

interface Tok {
  kind: 'ws' | 'str' | 'ident' | 'num' | 'punct';
  text: string;
}

const LOOP_FIELDS: Record<string, string> = {
  Counter: 'loop.index', Counter0: 'loop.index0', Revcounter: 'loop.revindex', Revcounter0: 'loop.revindex0',
  First: 'loop.first', Last: 'loop.last',
};
const LITERALS: Record<string, string> = { True: 'true', False: 'false', None: 'none' };

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    let j = i + 1;
    let kind: Tok['kind'] = 'punct';
    if (/\s/.test(c)) {
      kind = 'ws';
      while (j < s.length && /\s/.test(s[j])) j++;
    } else if (c === '"' || c === "'") {
      kind = 'str';
      while (j < s.length && s[j] !== c) j += s[j] === '\\' ? 2 : 1;
      j = Math.min(j + 1, s.length);
    } else if (/[A-Za-z_]/.test(c)) {
      kind = 'ident';
      while (j < s.length && /\w/.test(s[j])) j++;
    } else if (/\d/.test(c)) {
      kind = 'num';
      while (j < s.length && /[\d.]/.test(s[j])) j++;
    } else if ((c === '&' || c === '|') && s[i + 1] === c) {
      j = i + 2;
    }
    out.push({ kind, text: s.slice(i, j) });
    i = j;
  }
  return out;
}

const isDot = (t: Tok | undefined) => t?.kind === 'punct' && t.text === '.';

/** Take up to `n` characters from the whitespace token at `i` (never a newline, leaving `keep`) to absorb a growth. */
function absorb(toks: Tok[], i: number, n: number, keep = 0): void {
  const t = toks[i];
  if (t?.kind !== 'ws') return;
  let cut = 0;
  while (cut < n && cut < t.text.length - keep && t.text[t.text.length - 1 - cut] !== '\n') cut++;
  t.text = t.text.slice(0, t.text.length - cut);
}

/** End (exclusive) of a pongo2 filter argument starting at `i`: literal, number or dotted name. */
function argEnd(toks: Tok[], i: number): number {
  const t = toks[i];
  if (!t) return -1;
  if (t.kind === 'str' || t.kind === 'num') return i + 1;
  if (t.kind === 'punct' && t.text === '-' && toks[i + 1]?.kind === 'num') return i + 2;
  if (t.kind !== 'ident') return -1;
  let j = i + 1;
  while (isDot(toks[j]) && (toks[j + 1]?.kind === 'ident' || toks[j + 1]?.kind === 'num')) j += 2;
  return j;
}

function rewriteTokens(toks: Tok[]): void {
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    const prev = toks[i - 1];
    if (t.kind === 'ident' && !isDot(prev)) {
      if (t.text === 'forloop' && isDot(toks[i + 1]) && LOOP_FIELDS[toks[i + 2]?.text ?? ''] && !isDot(toks[i + 3])) {
        const orig = `forloop.${toks[i + 2].text}`;
        const repl = LOOP_FIELDS[toks[i + 2].text];
        toks.splice(i, 3, { kind: 'ident', text: repl + ' '.repeat(orig.length - repl.length) });
      } else if (LITERALS[t.text]) {
        t.text = LITERALS[t.text];
      }
    } else if (t.kind === 'punct' && t.text === '|' && toks[i + 1]?.kind === 'ident' && toks[i + 2]?.text === ':') {
      const end = argEnd(toks, i + 3);
      if (end < 0) continue;
      const close = toks[i + 1].text === 'default' ? ',true)' : ')';
      toks[i + 2] = { kind: 'punct', text: '(' };
      toks.splice(end, 0, { kind: 'punct', text: close });
      absorb(toks, end + 1, close.length);
    } else if (t.kind === 'punct' && (t.text === '&&' || t.text === '||')) {
      const word = t.text === '&&' ? 'and' : 'or';
      const pre = prev?.kind === 'ws' ? '' : ' ';
      const post = toks[i + 1]?.kind === 'ws' ? '' : ' ';
      t.kind = 'ident';
      t.text = pre + word + post;
      absorb(toks, i + 1, t.text.length - 2, 1);
    } else if (t.kind === 'punct' && t.text === '!' && toks[i + 1]?.text !== '=') {
      t.kind = 'ident';
      t.text = 'not ';
      absorb(toks, i + 1, 3, 1);
    }
  }
}

/** `for … in expr [sorted] [reversed]` → `for … in(expr)|_srt|_rev`, padded to the same length. */
function rewriteFor(toks: Tok[]): void {
  const sig = toks.map((t, i) => ({ t, i })).filter((x) => x.t.kind !== 'ws');
  if (sig[0]?.t.text !== 'for') return;
  const inAt = sig.findIndex((x) => x.t.kind === 'ident' && x.t.text === 'in');
  if (inAt < 0) return;
  const mods = new Set<string>();
  let last = sig.length - 1;
  while (last > inAt + 1 && (sig[last].t.text === 'reversed' || sig[last].t.text === 'sorted') && sig[last].t.kind === 'ident' && !isDot(toks[sig[last].i - 1])) {
    mods.add(sig[last].t.text);
    last--;
  }
  if (mods.size === 0) return;
  const exprStart = sig[inAt + 1].i;
  const exprEnd = sig[last].i; // inclusive token index
  const tailFrom = exprEnd + 1;
  const original = toks.slice(tailFrom).map((t) => t.text).join('');
  let repl = `)${mods.has('sorted') ? '|_srt' : ''}${mods.has('reversed') ? '|_rev' : ''}${original.replace(/[^\n]/g, '')}`;
  if (repl.length < original.length) repl += ' '.repeat(original.length - repl.length);
  toks.splice(tailFrom, toks.length - tailFrom, { kind: 'punct', text: repl });
  const before = toks[exprStart - 1];
  if (before.kind === 'ws' && !before.text.endsWith('\n')) before.text = `${before.text.slice(0, -1)}(`;
  else toks.splice(exprStart, 0, { kind: 'punct', text: '(' });
}

function rewriteTag(content: string, block: boolean): string {
  const lead = /^[-+]?/.exec(content)![0];
  const trail = /[-+]?$/.exec(content.slice(lead.length))![0];
  const inner = content.slice(lead.length, content.length - trail.length);
  const toks = tokenize(inner);
  if (block) {
    const sig = toks.filter((t) => t.kind !== 'ws');
    if (sig.length === 1 && sig[0].text === 'empty') sig[0].text = 'else ';
    rewriteFor(toks);
  }
  rewriteTokens(toks);
  return lead + toks.map((t) => t.text).join('') + trail;
}

/** Index just past the closing delimiter `close`, skipping string literals; -1 when unterminated. */
function findClose(src: string, from: number, close: string): number {
  let i = from;
  while (i < src.length) {
    const c = src[i];
    if (c === '"' || c === "'") {
      i++;
      while (i < src.length && src[i] !== c) i += src[i] === '\\' ? 2 : 1;
      i++;
    } else if (src.startsWith(close, i)) {
      return i;
    } else i++;
  }
  return -1;
}

const RAW_OPEN = /^[-+]?\s*(raw|verbatim)\s*[-+]?$/;

/** Translate pongo2 idioms to Nunjucks. Output has exactly the input's line breaks. */
export function pongo2ToNunjucks(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const open = src.slice(i).search(/\{[{%#]/);
    if (open < 0) return out + src.slice(i);
    const at = i + open;
    out += src.slice(i, at);
    const kind = src[at + 1];
    const close = kind === '{' ? '}}' : kind === '%' ? '%}' : '#}';
    const end = kind === '#' ? src.indexOf('#}', at + 2) : findClose(src, at + 2, close);
    if (end < 0) return out + src.slice(at);
    const content = src.slice(at + 2, end);
    if (kind === '#') {
      out += src.slice(at, end + 2);
      i = end + 2;
      continue;
    }
    const raw = kind === '%' ? RAW_OPEN.exec(content.trim()) : null;
    if (raw) {
      const endTag = new RegExp(`\\{%[-+]?\\s*end${raw[1]}\\s*[-+]?%\\}`, 'g');
      endTag.lastIndex = end + 2;
      const m = endTag.exec(src);
      const stop = m ? m.index + m[0].length : src.length;
      out += src.slice(at, stop);
      i = stop;
      continue;
    }
    out += src[at] + src[at + 1] + rewriteTag(content, kind === '%') + close;
    i = end + 2;
  }
  return out;
}
