/**
 * The generated parts of docs/: the config key reference (from the config schema) and the option
 * tables of every backend kind (from the backends' own option definitions). Each sits between
 * `<!-- NAME:begin -->` and `<!-- NAME:end -->`. `npx tsx scripts/gen-config-reference.ts`
 * rewrites them; test/docs/reference.test.ts fails when one is stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { backendDefinitions } from '../src/backends/registry.ts';
import { backendReferenceMarkdown, referenceMarkdown } from '../src/config/reference.ts';

export interface GeneratedSection {
  /** Relative to the repository root. */
  readonly file: string;
  readonly name: string;
  readonly content: () => string;
}

export const SECTIONS: readonly GeneratedSection[] = [
  { file: 'docs/config-reference.md', name: 'keys', content: referenceMarkdown },
  { file: 'docs/backends.md', name: 'backends', content: () => backendReferenceMarkdown(backendDefinitions()) },
];

/** `text` with the section's body replaced; throws when the markers are missing. */
export function fill(text: string, section: GeneratedSection): string {
  const re = new RegExp(`<!-- ${section.name}:begin -->\\n[\\s\\S]*?<!-- ${section.name}:end -->`);
  if (!re.test(text)) throw new Error(`${section.file}: markers <!-- ${section.name}:begin --> / <!-- ${section.name}:end --> not found`);
  return text.replace(re, () => `<!-- ${section.name}:begin -->\n${section.content()}\n<!-- ${section.name}:end -->`);
}

/** The sections whose text in docs/ differs from what the generator writes. */
export async function staleSections(root: string): Promise<string[]> {
  const stale: string[] = [];
  for (const s of SECTIONS) {
    const text = await readFile(join(root, s.file), 'utf8');
    if (fill(text, s) !== text) stale.push(`${s.file} (${s.name})`);
  }
  return stale;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = join(import.meta.dirname, '..');
  for (const s of SECTIONS) {
    const path = join(root, s.file);
    const text = await readFile(path, 'utf8');
    const next = fill(text, s);
    if (next !== text) await writeFile(path, next);
  }
}
