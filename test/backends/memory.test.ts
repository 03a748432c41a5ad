/** The memory backend on the shared conformance suite: the reference implementation of the watch contract. */
import { openBackend } from '../../src/backends/registry.ts';
import type { MemoryBackend } from '../../src/backends/memory.ts';
import { testBackend } from './conformance.ts';
import { backendContext } from './context.ts';

testBackend<{ backend: MemoryBackend }>({
  name: 'memory',
  async create() {
    return { backend: openBackend('memory', 'memory', {}, backendContext()) as MemoryBackend };
  },
  async seed(s, data) {
    for (const [k, v] of data) s.backend.set(k, v);
  },
  async mutate(s, ops) {
    for (const op of ops) {
      if (op.value === undefined) s.backend.delete(op.key);
      else s.backend.set(op.key, op.value);
    }
  },
  capabilities: {
    watch: true,
    deltas: true,
    resume: true,
    outage: 'an in-process map cannot become unreachable',
  },
});
