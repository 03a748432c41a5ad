/** The env backend on the shared conformance suite: snapshots only (it has no watch; the runner polls it). */
import { keyToEnvName } from '../../src/backends/env.ts';
import { openBackend } from '../../src/backends/registry.ts';
import type { Backend } from '../../src/backends/contract.ts';
import { testBackend } from './conformance.ts';
import { backendContext } from './context.ts';

testBackend<{ backend: Backend; env: Record<string, string | undefined> }>({
  name: 'env',
  async create() {
    const env: Record<string, string | undefined> = { PATH: '/usr/bin', HOME: '/root' };
    return { env, backend: openBackend('env', 'env', {}, backendContext({ env })) };
  },
  async seed(s, data) {
    for (const [k, v] of data) s.env[keyToEnvName(k)] = v;
  },
  async mutate(s, ops) {
    for (const op of ops) {
      if (op.value === undefined) delete s.env[keyToEnvName(op.key)];
      else s.env[keyToEnvName(op.key)] = op.value;
    }
  },
  capabilities: {
    watch: 'the environment has no change notification: the runner re-reads it on `interval`',
    deltas: 'no watch',
    resume: 'no watch, so nothing to resume',
    outage: 'reading the process environment cannot fail',
  },
});
