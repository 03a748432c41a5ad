/** Render a Go template string over a small tree (the Go engine of createTemplateEngine). */
import { createTemplateEngine, type TemplateEngineOptions } from '../../../src/template/index.ts';
import { MemoryTree } from '../../../src/tree/tree.ts';
import { noDns, type Pairs } from '../render.ts';

export function goRender(src: string, pairs: Pairs = {}, opts: Partial<TemplateEngineOptions> = {}, name = 'test.tmpl'): Promise<string> {
  const engine = createTemplateEngine({ env: {}, resolver: noDns, ...opts });
  return engine.renderString(src, name, { resource: 'test', tree: new MemoryTree(Object.entries(pairs)), engine: 'go' });
}
