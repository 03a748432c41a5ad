/** Rewrite the generated config key reference between `<!-- keys:begin -->` and `<!-- keys:end -->` in README.md and docs. */
import { readFile, writeFile } from 'node:fs/promises';
import { referenceMarkdown } from '../src/config/reference.ts';

for (const file of process.argv.slice(2)) {
  const text = await readFile(file, 'utf8');
  const next = text.replace(/<!-- keys:begin -->\n[\s\S]*\n<!-- keys:end -->/, `<!-- keys:begin -->\n${referenceMarkdown()}\n<!-- keys:end -->`);
  if (next !== text) await writeFile(file, next);
}
