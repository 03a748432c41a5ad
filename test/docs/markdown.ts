/**
 * Just enough Markdown for the docs tests: fenced code blocks with the HTML-comment markers right
 * above them, ATX headings with GitHub's anchor slugs, and inline links outside code.
 */

/** `<!-- kind -->` or `<!-- kind: argument -->` on its own line above a fence. */
export interface Marker {
  readonly kind: string;
  readonly arg: string;
}

export interface CodeBlock {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** First word of the info string, lower-cased ('' for a bare fence). */
  readonly lang: string;
  readonly body: string;
  readonly markers: readonly Marker[];
}

export interface Link {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

const FENCE = /^( {0,3}|\s*)(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const MARKER = /^\s*<!--\s*([a-z][a-z-]*)(?:\s*:\s*([\s\S]*?))?\s*-->\s*$/;

/** Split into lines, marking each as inside a fenced block or not. */
function scan(text: string): { line: string; fenced: boolean }[] {
  const out: { line: string; fenced: boolean }[] = [];
  let open: string | undefined;
  for (const line of text.split('\n')) {
    const m = FENCE.exec(line);
    if (open === undefined && m) {
      open = m[2];
      out.push({ line, fenced: true });
    } else if (open !== undefined) {
      const t = line.trim();
      if (t.startsWith(open[0].repeat(open.length)) && /^[`~]+$/.test(t)) open = undefined;
      out.push({ line, fenced: true });
    } else {
      out.push({ line, fenced: false });
    }
  }
  return out;
}

function markersAbove(lines: readonly string[], index: number): Marker[] {
  const found: Marker[] = [];
  for (let i = index - 1; i >= 0; i--) {
    if (lines[i].trim() === '') continue;
    const m = MARKER.exec(lines[i]);
    if (!m) break;
    found.unshift({ kind: m[1], arg: (m[2] ?? '').trim() });
  }
  return found;
}

export function codeBlocks(file: string, text: string): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = FENCE.exec(lines[i]);
    if (!m) continue;
    const indent = m[1].length;
    const fence = m[2];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const t = lines[j].trim();
      if (t.startsWith(fence[0].repeat(fence.length)) && /^[`~]+$/.test(t)) break;
      body.push(lines[j].slice(Math.min(indent, lines[j].length - lines[j].trimStart().length)));
    }
    blocks.push({ file, line: i + 1, lang: m[3].toLowerCase(), body: body.length ? `${body.join('\n')}\n` : '', markers: markersAbove(lines, i) });
    i = j;
  }
  return blocks;
}

/** Text as GitHub renders it for a heading: code spans literal, escapes and tags resolved, links as their text. */
function headingText(raw: string): string {
  return raw
    .split('`')
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part
            .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
            .replace(/\\</g, '\u0001')
            .replace(/<\/?[A-Za-z][^>]*>/g, '')
            .replace(/\u0001/g, '<')
            .replace(/\\([\\`*_{}[\]()#+\-.!<>|])/g, '$1'),
    )
    .join('');
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function slug(raw: string): string {
  return headingText(raw)
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a file's headings produce, duplicates numbered `-1`, `-2` as GitHub does. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { line, fenced } of scan(text)) {
    const m = !fenced && /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Inline links and images outside fenced blocks and code spans. */
export function links(file: string, text: string): Link[] {
  const out: Link[] = [];
  scan(text).forEach(({ line, fenced }, i) => {
    if (fenced) return;
    const prose = line.replace(/(`+)[^`]*?\1/g, (s) => ' '.repeat(s.length));
    for (const m of prose.matchAll(/!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      out.push({ file, line: i + 1, target: m[1] });
    }
  });
  return out;
}
