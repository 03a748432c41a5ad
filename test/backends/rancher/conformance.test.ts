/**
 * The rancher backend on the shared conformance suite, twice: live against the metadata emulator
 * (serving an answers tree that holds the suite's keys; `/version` long poll; stopped and
 * restarted under the watch), and offline from an answers file watched with fs events.
 */
import { join } from 'node:path';
import { openBackend } from '../../../src/backends/registry.ts';
import type { Backend } from '../../../src/backends/contract.ts';
import { startRancherMetadata, type RancherMetadataEmulator } from '../../emulator/rancher-metadata.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { applyOps, nest, testBackend } from '../conformance.ts';
import { backendContext } from '../context.ts';
import { FileStore } from '../file-store.ts';

const VERSION = '2015-12-19';

interface Live {
  readonly backend: Backend;
  readonly emu: RancherMetadataEmulator;
  readonly model: Map<string, string>;
}

const publish = (s: Live) => s.emu.setAnswers({ [VERSION]: { default: nest(s.model) } });

testBackend<Live>({
  name: 'rancher (metadata emulator)',
  async create(t) {
    const emu = await startRancherMetadata({ answers: { [VERSION]: { default: {} } } });
    t.after(() => emu.close());
    const backend = openBackend('rancher', 'rancher', { api_host: emu.host, api_version: VERSION, max_wait: 5, backoff_max: 0.5 }, backendContext());
    return { emu, backend, model: new Map() };
  },
  async seed(s, data) {
    for (const [k, v] of data) s.model.set(k, v);
    publish(s);
  },
  async mutate(s, ops) {
    for (const op of ops) {
      applyOps(s.model, [op]);
      publish(s);
    }
  },
  capabilities: {
    watch: true,
    deltas: 'the metadata service reports only that /version moved: the feed re-reads',
    resume: true,
    outage: { break: (s) => s.emu.fail('refuse'), repair: (s) => s.emu.recover() },
  },
});

testBackend<{ backend: Backend; store: FileStore }>({
  name: 'rancher offline (answers file)',
  async create(t) {
    const dir = await tempDir(t, 'keyplate-answers');
    const store = new FileStore(join(dir, 'answers.json'));
    await store.write();
    const backend = openBackend('rancher', 'rancher', { offline: true, answers_file: 'answers.json' }, backendContext({ baseDir: dir }));
    return { store, backend };
  },
  seed: (s, data) => s.store.seed(data),
  mutate: (s, ops) => s.store.write(ops),
  capabilities: {
    watch: true,
    deltas: 'fs events say only that the file changed: the feed re-reads it',
    resume: true,
    outage: { break: (s) => s.store.break(), repair: (s) => s.store.repair() },
  },
});
