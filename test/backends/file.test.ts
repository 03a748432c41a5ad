/** The file backend on the shared conformance suite: a YAML file written in place and renamed over, watched with fs events. */
import { join } from 'node:path';
import { openBackend } from '../../src/backends/registry.ts';
import type { Backend } from '../../src/backends/contract.ts';
import { tempDir } from '../helpers/tmp.ts';
import { testBackend } from './conformance.ts';
import { backendContext } from './context.ts';
import { FileStore } from './file-store.ts';

testBackend<{ backend: Backend; store: FileStore }>({
  name: 'file',
  async create(t) {
    const dir = await tempDir(t, 'keyplate-file');
    const store = new FileStore(join(dir, 'data.yaml'));
    await store.write();
    return { store, backend: openBackend('file', 'file', { filepath: 'data.yaml' }, backendContext({ baseDir: dir })) };
  },
  seed: (s, data) => s.store.seed(data),
  mutate: (s, ops) => s.store.write(ops),
  capabilities: {
    watch: true,
    deltas: 'fs events say only that a file changed: the feed re-reads it',
    resume: true,
    outage: { break: (s) => s.store.break(), repair: (s) => s.store.repair() },
  },
});
