/** The layers of src/ (lowest first) and a cycle finder for the import graph. Keep docs/architecture.md in step. */

/** Folder (or root file) → layer. A module may import from its own folder and from lower layers only. */
export const LAYERS: Readonly<Record<string, number>> = {
  secrets: -1,
  'errors.ts': 0,
  'log.ts': 0,
  tree: 1,
  schedule: 1,
  exec: 1,
  schema: 2,
  backends: 3,
  template: 3,
  presets: 4,
  config: 4,
  pipeline: 5,
  runner: 6,
  haproxy: 6,
  status: 7,
  'app.ts': 8,
  cli: 9,
  'bin.ts': 10,
};

export const ROOT_FILES: readonly string[] = ['bin.ts', 'errors.ts', 'log.ts', 'app.ts'];

export function layerOf(file: string): { folder: string; rank: number } {
  const folder = file.includes('/') ? file.split('/')[0] : file;
  const rank = LAYERS[folder];
  if (rank === undefined) throw new Error(`${file}: its folder ${folder} has no layer in test/architecture/graph.ts`);
  return { folder, rank };
}

/** Every elementary cycle found by a depth-first walk, each once, as [a, b, …, a]. */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const key = [...cycle.slice(0, -1)].sort().join(' ');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}
