/**
 * End-to-end fixtures for the live-HAProxy example (examples/etcd-haproxy): a real etcd, keyplate
 * as a child process (`node --import tsx src/bin.ts run -c <config>`, JSON logs parsed from its
 * stderr) supervising a real HAProxy, and readers for HAProxy's state through its sockets.
 * Everything a test starts is stopped in t.after; `haproxyPids(marker)` finds leftovers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { cliCommand, parseServersState, parseShowMap, parseShowProc, type ProcInfo } from '../../src/haproxy/index.ts';
import { freePort, startEtcd, type EtcdServer } from '../helpers/etcd.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { requireHaproxy } from '../haproxy/harness.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const EXAMPLE = join(ROOT, 'examples', 'etcd-haproxy');
type After = Pick<TestContext, 'after'>;

export interface LogLine {
  readonly level: number;
  readonly time: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface Keyplate {
  readonly pid: number;
  /** Every JSON log line so far (non-JSON stderr lines are kept in `raw`). */
  readonly logs: LogLine[];
  readonly raw: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Wait for a log line (searching from index `from`) matching `pred`. */
  waitLog(pred: (l: LogLine) => boolean, opts?: { timeoutMs?: number; from?: number; message?: string }): Promise<LogLine>;
  /** SIGTERM and wait for the exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Run `keyplate run -c <config>` with exactly `env` (plus PATH); stopped when the test ends. */
export function startKeyplate(t: After, config: string, env: Readonly<Record<string, string>>): Keyplate {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'bin.ts'), 'run', '-c', config], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const raw: string[] = [];
  let partial = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) {
      if (!p.trim()) continue;
      try {
        logs.push(JSON.parse(p) as LogLine);
      } catch {
        raw.push(p);
      }
    }
  });
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const stop = async (timeoutMs = 20_000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const r = await exited;
    clearTimeout(timer);
    return r;
  };
  t.after(() => stop(5_000));
  return {
    pid: child.pid ?? -1,
    logs,
    raw,
    exited,
    stop,
    waitLog: (pred, opts = {}) =>
      waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`keyplate exited (${child.exitCode}): ${tail(logs, raw)}`);
          return logs.slice(opts.from ?? 0).find(pred);
        },
        { timeoutMs: opts.timeoutMs ?? 20_000, intervalMs: 20, message: `keyplate log: ${opts.message ?? 'line'} (log tail: ${tail(logs, raw)})` },
      ),
  };
}

function tail(logs: readonly LogLine[], raw: readonly string[]): string {
  return [...logs.slice(-8).map((l) => `${l.msg} ${JSON.stringify({ ...l, msg: undefined, time: undefined })}`), ...raw.slice(-4)].join(' | ');
}

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
  readonly keyplate: Keyplate;
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
  }
  const port = await freePort();
  const minReloadIntervalMs = opts.minReloadIntervalMs ?? 1000;
  const paths = {
    cfgPath: join(dir, 'etc', 'haproxy.cfg'),
    mapPath: join(dir, 'etc', 'hosts.map'),
    masterSocket: join(dir, 'master.sock'),
    adminSocket: join(dir, 'admin.sock'),
  };
  const keyplate = startKeyplate(t, join(configDir, 'config.toml'), {
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
  });
  t.after(() => killLeftovers(dir));
  await keyplate.waitLog((l) => l.msg === 'HAProxy started', { timeoutMs: 30_000, message: 'HAProxy started' });
  return {
    dir,
    configDir,
    port,
    etcd,
    ...paths,
    keyplate,
    minReloadIntervalMs,
    admin: (command) => cliCommand(paths.adminSocket, command),
    showProc: async () => {
      const text = await cliCommand(paths.masterSocket, 'show proc');
      const info = parseShowProc(text);
      if (!info) throw new Error(`unexpected show proc reply: ${text.slice(0, 200)}`);
      return info;
    },
  };
}

/** PIDs of live haproxy processes whose command line mentions `marker` (e.g. a test's temp dir). */
export async function haproxyPids(marker: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const argv = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    const args = argv.split('\0');
    if (/haproxy$/.test(args[0] ?? '') && argv.includes(marker)) out.push(Number(name));
  }
  return out;
}

/** Last resort after a failed test: no HAProxy of this test may survive it. */
async function killLeftovers(marker: string): Promise<void> {
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
