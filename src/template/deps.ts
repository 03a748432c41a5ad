/**
 * What a template is made of, read from its text: the files it includes, imports or extends
 * (string-literal names, resolved like the loader does: relative to the including file), and a
 * best-effort map from a rendered line back to the template line that produced it.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';

const REFERENCE = /\{%-?\s*(?:include|import|extends|from)\s+(["'])([^"'\n]+)\1/g;

/** Names a template's text refers to with string literals, resolved against `file`'s directory. */
export function referencedFiles(text: string, file: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(REFERENCE)) out.push(isAbsolute(m[2]) ? m[2] : resolve(dirname(file), m[2]));
  return out;
}

export interface TemplateFiles {
  /** The template and every file it reaches through include/import/extends (readable ones). */
  readonly files: ReadonlyMap<string, string>;
  /** Referenced files that could not be read (a missing include is still worth watching). */
  readonly missing: readonly string[];
}

/** Read a template and, transitively, every file it references. Never throws. */
export async function readTemplateFiles(src: string, read: (path: string) => Promise<string> = (p) => readFile(p, 'utf8')): Promise<TemplateFiles> {
  const files = new Map<string, string>();
  const missing: string[] = [];
  const queue = [src];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (files.has(file) || missing.includes(file)) continue;
    let text: string;
    try {
      text = await read(file);
    } catch {
      missing.push(file);
      continue;
    }
    files.set(file, text);
    queue.push(...referencedFiles(text, file));
  }
  return { files, missing };
}

export interface TemplateLine {
  readonly file: string;
  readonly line: number;
}

const TAG = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}/g;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A matcher for one template line: its literal text in order, anything where its tags were. */
function lineMatcher(source: string): { re: RegExp; weight: number } | undefined {
  const literals = source.split(TAG).map((s) => s.trim()).filter(Boolean);
  const weight = literals.reduce((n, s) => n + s.length, 0);
  if (weight === 0) return undefined; // only tags: nothing of it shows in the output
  const body = literals.map((s) => s.split(/\s+/).map(escapeRe).join('\\s+')).join('.*?');
  const open = /^\s*\{[{%#]/.test(source) ? '' : '^\\s*';
  const close = /[}%#]\}\s*$/.test(source) ? '' : '\\s*$';
  return { re: new RegExp(`${open}${body}${close}`), weight };
}

/**
 * The template line that most likely produced `rendered`: the line whose literal text matches it
 * with the most characters; undefined when no line matches or two lines match equally well.
 */
export function mapRenderedLine(files: ReadonlyMap<string, string>, rendered: string): TemplateLine | undefined {
  if (rendered.trim() === '') return undefined;
  let best: TemplateLine | undefined;
  let bestWeight = 0;
  let tie = false;
  for (const [file, text] of files) {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = lineMatcher(lines[i]);
      if (!m || !m.re.test(rendered)) continue;
      if (m.weight > bestWeight) {
        best = { file, line: i + 1 };
        bestWeight = m.weight;
        tie = false;
      } else if (m.weight === bestWeight) tie = true;
    }
  }
  return tie ? undefined : best;
}
