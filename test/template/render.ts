/** Shared helpers for the template tests: render a string over a small tree. */
import { createTemplateEngine, type TemplateEngineOptions } from '../../src/template/index.ts';
import { MemoryTree } from '../../src/tree/tree.ts';

export type Pairs = Record<string, string>;

export function engine(opts: Partial<TemplateEngineOptions> = {}) {
  return createTemplateEngine({ env: {}, resolver: noDns, ...opts });
}

export const noDns = {
  lookupIP: async () => { throw new Error('unexpected DNS lookup'); },
  lookupSRV: async () => { throw new Error('unexpected DNS lookup'); },
};

export function render(src: string, pairs: Pairs = {}, opts: Partial<TemplateEngineOptions> = {}, vars?: Record<string, unknown>): Promise<string> {
  return engine(opts).renderString(src, 'test.tmpl', { resource: 'test', tree: new MemoryTree(Object.entries(pairs)), vars });
}
