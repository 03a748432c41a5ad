/**
 * README.md = docs/readme.src.md with every `<!-- include docs/x.md -->` replaced by that file
 * (headings shifted one level down when the file starts at `#`, image paths made relative to the
 * README), and the config key reference
 * regenerated from the schema. `npm run readme` rewrites it; a test fails when it is stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { referenceMarkdown } from '../src/config/reference.ts';

function demote(md: string): string {
  let fence = false;
  return md
    .split('\n')
    .map((line) => {
      if (/^(```|~~~)/.test(line)) fence = !fence;
      return !fence && /^#{1,5} /.test(line) ? `#${line}` : line;
    })
    .join('\n');
}

/** Images of an included file are relative to its folder: make them relative to the README. */
function rebaseImages(md: string, dir: string): string {
  return md.replace(/!\[([^\]]*)\]\((?![a-z]+:|\/|#)([^)\s]+)\)/g, (_m, alt: string, path: string) => `![${alt}](${join(dir, path)})`);
}

export async function buildReadme(root: string): Promise<string> {
  const src = await readFile(join(root, 'docs/readme.src.md'), 'utf8');
  const parts: string[] = [];
  let last = 0;
  for (const m of src.matchAll(/<!-- include (\S+) -->/g)) {
    parts.push(src.slice(last, m.index));
    const text = rebaseImages((await readFile(join(root, m[1]), 'utf8')).trim(), dirname(m[1]));
    parts.push(/^# /.test(text) ? demote(text) : text);
    last = m.index! + m[0].length;
  }
  parts.push(src.slice(last));
  const out = parts.join('');
  return out.replace(/<!-- keys:begin -->\n[\s\S]*?\n<!-- keys:end -->/, `<!-- keys:begin -->\n${demote(referenceMarkdown())}\n<!-- keys:end -->`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = join(import.meta.dirname, '..');
  await writeFile(join(root, 'README.md'), await buildReadme(root));
}
