/**
 * Section (f) alone, for some stores: `npx tsx bench/backends-only.ts zookeeper [redis nats "etcd v3"] [--quick]`.
 * Prints the rows; bench/results.md is left alone (that is `npm run bench`'s).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEtcd, v3Client } from '../test/helpers/etcd.ts';
import { backendConvergence } from './backends.ts';
import { Cleanup } from './lib/cleanup.ts';
import { table } from './lib/stats.ts';

const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith('--'));
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const cleanup = new Cleanup();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void cleanup.run().then(() => process.exit(130)));
try {
  const dir = await mkdtemp(join(tmpdir(), 'keyplate-bench-'));
  cleanup.after(() => rm(dir, { recursive: true, force: true }));
  const etcd = await startEtcd(cleanup);
  const kv = v3Client(cleanup, etcd.clientUrl);
  const rows = await backendConvergence({ cleanup, kv, etcdUrl: etcd.clientUrl, dir, samples: args.includes('--quick') ? 10 : 40, log, only: only.length > 0 ? only : undefined });
  process.stdout.write(`${table(rows)}\n`);
} catch (e) {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup.run();
}
