/**
 * The live-HAProxy example (examples/etcd-haproxy) end to end, on the daemon harness (daemon.ts):
 * a real etcd, keyplate supervising a real HAProxy, and readers for HAProxy's state through its
 * sockets. Everything a test starts is stopped when it ends.
 */
import { spawn } from 'node:child_process';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { cliCommand, parseServersState, parseShowMap, parseShowProc, type ProcInfo } from '../../src/haproxy/index.ts';
import { requireHaproxy } from '../haproxy/harness.ts';
import { REPO, startDaemon, type Daemon } from './daemon.ts';
import { freePort, startEtcd, type EtcdServer } from './etcd.ts';
import { haproxyPids } from './procs.ts';
import { tempDir } from './tmp.ts';
import { waitFor } from './wait.ts';

export const EXAMPLE = join(REPO, 'examples', 'etcd-haproxy');
type After = Pick<TestContext, 'after'>;

export interface LiveStack {
  readonly dir: string;
  /** The directory holding config.toml and templates/ (the example, or a copy of it). */
  readonly configDir: string;
  readonly port: number;
  readonly etcd: EtcdServer;
  readonly cfgPath: string;
  readonly mapPath: string;
  readonly masterSocket: string;
  readonly adminSocket: string;
  readonly keyplate: Daemon;
  readonly minReloadIntervalMs: number;
  admin(command: string): Promise<string>;
  showProc(): Promise<ProcInfo>;
}

export interface StackOptions {
  /** Write the initial data (keyplate reads it with version = "auto"). */
  readonly seed: (etcd: EtcdServer) => Promise<void>;
  /** Run a copy of the example (a test may then edit its templates). */
  readonly copy?: boolean;
  readonly minReloadIntervalMs?: number;
  /** Extra environment for keyplate. */
  readonly env?: Readonly<Record<string, string>>;
  /** Edit the copy (config.toml, templates) before keyplate starts (needs `copy`). */
  readonly prepare?: (configDir: string) => Promise<void>;
}

/** etcd (seeded) + keyplate running the example; resolves once HAProxy serves. */
export async function startStack(t: After, opts: StackOptions): Promise<LiveStack> {
  await requireHaproxy();
  const etcd = await startEtcd(t);
  await opts.seed(etcd);
  const dir = await tempDir(t, 'keyplate-live');
  let configDir = EXAMPLE;
  if (opts.copy) {
    configDir = join(dir, 'example');
    await cp(EXAMPLE, configDir, { recursive: true });
    await opts.prepare?.(configDir);
  }
  const port = await freePort();
  const minReloadIntervalMs = opts.minReloadIntervalMs ?? 1000;
  const paths = {
    cfgPath: join(dir, 'etc', 'haproxy.cfg'),
    mapPath: join(dir, 'etc', 'hosts.map'),
    masterSocket: join(dir, 'master.sock'),
    adminSocket: join(dir, 'admin.sock'),
  };
  const keyplate = startDaemon(t, {
    config: join(configDir, 'config.toml'),
    listen: false,
    stopTimeoutMs: 5_000,
    env: {
      ETCD_NODE: etcd.clientUrl,
      HTTP_BIND: `127.0.0.1:${port}`,
      HAPROXY_CONFIG: paths.cfgPath,
      HAPROXY_HOSTS_MAP: paths.mapPath,
      HAPROXY_MASTER_SOCKET: paths.masterSocket,
      HAPROXY_ADMIN_SOCKET: paths.adminSocket,
      HAPROXY_HARD_STOP_AFTER: '10s',
      HAPROXY_STOP_TIMEOUT: '2s',
      HAPROXY_MIN_RELOAD_INTERVAL: `${minReloadIntervalMs}ms`,
      KEYPLATE_WAIT_MIN: '20ms',
      KEYPLATE_WAIT_MAX: '200ms',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      ...opts.env,
    },
  });
  t.after(() => killHaproxyOf(dir));
  await keyplate.waitEvent('haproxy-started', { timeoutMs: 30_000 });
  return {
    dir,
    configDir,
    port,
    etcd,
    ...paths,
    keyplate,
    minReloadIntervalMs,
    admin: (command) => cliCommand(paths.adminSocket, command),
    // the master re-execs on a reload and its socket refuses connections meanwhile: retry that briefly
    showProc: async () => {
      const text = await waitFor(() => cliCommand(paths.masterSocket, 'show proc'), { timeoutMs: 5_000, message: 'the master socket to answer show proc' });
      const info = parseShowProc(text);
      if (!info) throw new Error(`unexpected show proc reply: ${text.slice(0, 200)}`);
      return info;
    },
  };
}

/** Last resort after a failed test: no HAProxy of this test may survive it. */
async function killHaproxyOf(marker: string): Promise<void> {
  for (const pid of await haproxyPids(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** What a HAProxy serves, normalized for comparison: backends, servers, host map. */
export interface HaproxyState {
  readonly backends: readonly string[];
  /** `backend/server id addr:port op=N admin=N weight=N`, sorted. */
  readonly servers: readonly string[];
  /** `key value`, sorted. */
  readonly map: readonly string[];
}

export async function readState(adminSocket: string, mapRef: string): Promise<HaproxyState> {
  const backends = (await cliCommand(adminSocket, 'show backend'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .sort();
  const servers = parseServersState(await cliCommand(adminSocket, 'show servers state'))
    .map((s) => `${s.backend}/${s.name} ${s.id} ${s.addr}:${s.port} op=${s.opState} admin=${s.adminState} weight=${s.weight}`)
    .sort();
  const map = parseShowMap(await cliCommand(adminSocket, `show map ${mapRef}`))
    .map(([k, v]) => `${k} ${v}`)
    .sort();
  return { backends, servers, map };
}

/**
 * Start a second, independent HAProxy on the given (final) config with its own port and admin
 * socket, read its state, stop it. This is what a fresh start on those files gives.
 */
export async function freshState(t: After, cfgText: string, mapRef: string): Promise<HaproxyState> {
  const dir = await tempDir(t, 'keyplate-fresh');
  const admin = join(dir, 'admin.sock');
  const port = await freePort();
  const cfg = cfgText.replace(/^(\s*stats socket )\S+/m, `$1${admin}`).replace(/^(\s*bind )\S+/m, `$1127.0.0.1:${port}`);
  if (!cfg.includes(admin) || !cfg.includes(`127.0.0.1:${port}`)) throw new Error('freshState: could not rewrite the stats socket and bind lines');
  const cfgPath = join(dir, 'fresh.cfg');
  await writeFile(cfgPath, cfg);
  const proc = spawn('/usr/sbin/haproxy', ['-db', '-f', cfgPath], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  };
  t.after(stop);
  try {
    return await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`fresh haproxy exited: ${err}`);
        return readState(admin, mapRef);
      },
      { timeoutMs: 15_000, message: 'fresh haproxy to answer on its admin socket' },
    );
  } finally {
    await stop();
  }
}
