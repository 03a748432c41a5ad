/**
 * A Nunjucks loader that reads every template fresh from disk (operators edit templates live;
 * confd and remco re-parse on every render), applies the pongo2 rewrites and compiles with our
 * truthiness pass; the compiled code is reused while the file's text is unchanged. Relative names
 * in `include`/`import`/`extends` resolve against the including template's directory, like pongo2.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { SourceCache } from './cache.ts';
import { pongo2ToNunjucks } from './pongo2.ts';
import libModule from 'nunjucks/src/lib.js';

const lib = libModule as { _prettifyError(path: string, dev: boolean, err: unknown): Error };

export type CompileFn = (src: string, path: string) => { type: 'code'; obj: unknown };

export interface LoaderSource {
  src: { type: 'code'; obj: unknown };
  path: string;
  noCache: boolean;
}

export class FreshFileLoader {
  /** Nunjucks assigns a cache object here; every source says noCache, so it stays empty. */
  cache: Record<string, unknown> = {};
  readonly #compile: CompileFn;
  /** Compiled code by path, reused while the file's text is unchanged (it is still read every time). */
  readonly #compiled = new SourceCache<{ type: 'code'; obj: unknown }>();

  constructor(compile: CompileFn) {
    this.#compile = compile;
  }

  getSource(name: string): LoaderSource | null {
    let text: string;
    try {
      text = readFileSync(name, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    try {
      const src = this.#compiled.get(name, text, () => this.#compile(pongo2ToNunjucks(text), name));
      return { src, path: name, noCache: true };
    } catch (e) {
      // Name the included file in the message so the error points into it.
      throw lib._prettifyError(name, true, e);
    }
  }

  isRelative(name: string): boolean {
    return !isAbsolute(name);
  }

  resolve(parent: string, name: string): string {
    return resolve(dirname(parent), name);
  }
}
