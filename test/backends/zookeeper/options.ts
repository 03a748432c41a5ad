/** The zookeeper options as the schema gives them, for tests that drive the watch directly. */
import { findBackendDefinition } from '../../../src/backends/registry.ts';
import { parseOptions } from '../../../src/backends/options.ts';
import type { ZooKeeperOptions } from '../../../src/backends/zookeeper/options.ts';
import type { TomlTable } from '../../../src/schema/document.ts';

export function parseZooKeeperOptions(raw: TomlTable): ZooKeeperOptions {
  return parseOptions(findBackendDefinition('zookeeper')!, raw, '<test>', {}) as ZooKeeperOptions;
}
