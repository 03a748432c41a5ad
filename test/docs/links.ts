/**
 * Link check for the docs: every relative link points at a file inside the repository, and every
 * `#anchor` (in the same file or another Markdown file) is a heading there, by GitHub's slug rules.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { anchors, links } from './markdown.ts';

/** `files` maps absolute paths to Markdown text; files not in it are read from disk. */
export async function checkLinks(root: string, files: ReadonlyMap<string, string>): Promise<string[]> {
  const problems: string[] = [];
  const anchorCache = new Map<string, Set<string> | undefined>();
  const anchorsOf = async (path: string): Promise<Set<string> | undefined> => {
    if (!anchorCache.has(path)) {
      const text = files.get(path) ?? (existsSync(path) ? await readFile(path, 'utf8') : undefined);
      anchorCache.set(path, text === undefined ? undefined : anchors(text));
    }
    return anchorCache.get(path);
  };
  for (const [file, text] of files) {
    for (const link of links(file, text)) {
      const where = `${relative(root, file)}:${link.line}: ${link.target}`;
      if (/^[a-z][a-z0-9+.-]*:/i.test(link.target) || link.target.startsWith('//')) continue; // http:, https:, mailto:
      if (isAbsolute(link.target)) {
        problems.push(`${where}: use a relative link`);
        continue;
      }
      const hash = link.target.indexOf('#');
      const pathPart = decodeURIComponent(hash < 0 ? link.target : link.target.slice(0, hash));
      const anchor = hash < 0 ? undefined : decodeURIComponent(link.target.slice(hash + 1));
      const target = pathPart === '' ? file : resolve(dirname(file), pathPart);
      if (relative(root, target).startsWith('..')) {
        problems.push(`${where}: points outside the repository`);
        continue;
      }
      if (!files.has(target) && !existsSync(target)) {
        problems.push(`${where}: ${relative(root, target)} does not exist`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!target.endsWith('.md')) {
        problems.push(`${where}: an anchor on a file that is not Markdown`);
        continue;
      }
      const known = await anchorsOf(target);
      if (!known?.has(anchor)) problems.push(`${where}: no heading with the anchor #${anchor} in ${relative(root, target)}`);
    }
  }
  return problems;
}
