/** The data guard's baseline on disk: counts only, mode 0600, atomic; ignored without a destination or when unreadable. */
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileGuardState, guardStatePath } from '../../src/runner/guard-state.ts';
import { captureLogger } from '../helpers/logger.ts';
import { tempDir } from '../helpers/tmp.ts';

it('persists counts beside the destination (0600, no temp file left), reads them back only while the destination exists', async (t) => {
  const dir = await tempDir(t, 'keyplate-guard-state');
  const dst = join(dir, 'app.cfg');
  const logs = captureLogger('debug');
  const store = fileGuardState('app', dst, logs.logger);
  await store.save({ 'etcd /hosts': 5, 'etcd /services': 12 });
  assert.equal((await stat(guardStatePath(dst))).mode & 0o777, 0o600);
  assert.deepEqual(await readdir(dir), ['app.cfg.keyplate-state']);
  assert.equal(await store.load(), undefined, 'no destination: nothing to protect');
  await writeFile(dst, 'x');
  assert.deepEqual(await fileGuardState('app', dst, logs.logger).load(), { 'etcd /hosts': 5, 'etcd /services': 12 });
  assert.deepEqual(JSON.parse(await readFile(guardStatePath(dst), 'utf8')), { version: 1, resource: 'app', prefixes: { 'etcd /hosts': 5, 'etcd /services': 12 } });

  await writeFile(guardStatePath(dst), '{ not json');
  assert.equal(await fileGuardState('app', dst, logs.logger).load(), undefined);
  assert.ok(logs.lines.some((l) => l.event === 'guard-state-unreadable'));
});
