/** `[haproxy]` → HaproxySpec: paths resolved, signals and resource names checked. */
import { resolve } from 'node:path';
import { haproxySchema } from './schema.ts';
import { readSection, withDefaults } from '../schema/section.ts';
import { child, failAt, type At } from '../schema/document.ts';
import type { HaproxySpec, ResourceSpec } from './types.ts';

const SIGNAL = /^SIG[A-Z0-9]+$/;

export function buildHaproxy(at: At, raw: unknown, resources: readonly ResourceSpec[]): HaproxySpec | undefined {
  const v = withDefaults(at, readSection(at, raw, haproxySchema).values, haproxySchema);
  if (!v.enabled) return undefined;
  const dir = at.doc.dir;
  for (const key of ['stop_signal', 'kill_signal'] as const) {
    if (!SIGNAL.test(v[key])) throw failAt(child(at, key), `expected a signal name like "SIGTERM"`);
  }
  const names = resources.map((r) => r.name);
  for (const [i, n] of (v.resources ?? []).entries()) {
    if (!names.includes(n)) throw failAt(child(child(at, 'resources'), i), `no resource named "${n}" (have: ${names.join(', ')})`);
  }
  if (v.config_files.length === 0) throw failAt(child(at, 'config_files'), 'list at least one configuration file');
  const pos = at.doc.index().nearest(at.path);
  return {
    command: v.command,
    args: v.args ?? [],
    configFiles: v.config_files.map((f) => resolve(dir, f)),
    masterSocket: resolve(dir, v.master_socket),
    adminSocket: v.admin_socket === undefined ? undefined : resolve(dir, v.admin_socket),
    extraFiles: (v.extra_files ?? []).map((f) => resolve(dir, f)),
    resources: v.resources,
    cwd: dir,
    stopSignal: v.stop_signal,
    killSignal: v.kill_signal,
    stopTimeoutMs: v.stop_timeout,
    startTimeoutMs: v.start_timeout,
    reloadTimeoutMs: v.reload_timeout,
    checkBeforeReload: v.check_before_reload,
    checkTimeoutMs: v.check_timeout,
    minReloadIntervalMs: v.min_reload_interval,
    removeServerTimeoutMs: v.remove_server_timeout,
    runtimeApi: v.runtime_api,
    origin: { file: at.doc.file, line: pos?.line },
  };
}
