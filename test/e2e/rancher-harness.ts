/**
 * End-to-end harness for the rancher-haproxy preset: runs the REAL `keyplate run -c config.toml`
 * (the repository's top-level config, unchanged) as a child process, with the image's environment
 * variables pointing every file, socket and port into a temp dir, against the Rancher metadata
 * emulator. keyplate logs JSON on stderr (LOG_FORMAT=json); every line is kept for assertions.
 * stop() stops keyplate and asserts that no HAProxy process it started survived.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cliCommand } from '../../src/haproxy/runtime-socket.ts';
import { parseShowProc, type ProcInfo } from '../../src/haproxy/runtime-answers.ts';
import { startRancherMetadata, type RancherMetadataEmulator } from '../emulator/rancher-metadata.ts';
import { rancherHaproxyWorld, type ContainerRecord } from '../emulator/world.ts';
import { freePort, HAPROXY, isAlive, requireHaproxy } from '../haproxy/harness.ts';
import { waitFor } from '../helpers/wait.ts';

type After = Pick<TestContext, 'after'>;

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CONFIG = join(REPO, 'config.toml');
export const DOMAIN = 'dev.tld';
export const LABEL = 'map-public-http';
/** The proxy label name the tests use (the image's README suggests `proxy_protocol`). */
export const PROXY_LABEL = 'proxy_protocol';
const TSX = import.meta.resolve('tsx');

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface Files {
  readonly config: string;
  readonly backends: string;
  readonly map: string;
  readonly pem: string;
  readonly master: string;
  readonly admin: string;
}

/** The emulator with the image's deployment (stack `proxy`: HTTP + sidekick), no app yet. */
export async function startEmulator(
  t: After,
  opts: { aliases?: Record<string, string[]>; sslCert?: string; sslKey?: string; longPoll?: boolean } = {},
): Promise<RancherMetadataEmulator> {
  const world = rancherHaproxyWorld({ apps: [], aliases: opts.aliases ?? {}, sslCert: opts.sslCert, sslKey: opts.sslKey });
  const emu = await startRancherMetadata({ world, longPoll: opts.longPoll ?? true });
  t.after(() => emu.close());
  return emu;
}

/** A container on 127.0.0.1 whose routing label is the backend's port. */
export function addApp(
  emu: RancherMetadataEmulator,
  stack: string,
  service: string,
  backend: { readonly port: number } | string,
  extra: { name?: string; state?: string; labels?: Record<string, string> } = {},
): ContainerRecord {
  const port = typeof backend === 'string' ? backend : String(backend.port);
  return emu.addContainer(stack, service, {
    primary_ip: '127.0.0.1',
    labels: { [LABEL]: port, ...extra.labels },
    ...(extra.name !== undefined ? { name: extra.name } : {}),
    ...(extra.state !== undefined ? { state: extra.state } : {}),
  });
}

export interface KeyplateOptions {
  readonly apiVersion: string;
  /** More environment variables (ENABLE_SSL, RANCHER_POLL_INTERVAL, ...). */
  readonly env?: Readonly<Record<string, string>>;
  /** Runs before keyplate starts (e.g. an operator-mounted PEM). */
  readonly prepare?: (files: Files) => Promise<void>;
}

export interface Keyplate {
  readonly dir: string;
  readonly files: Files;
  readonly ports: { readonly http: number; readonly https: number; readonly stats: number };
  readonly logs: LogLine[];
  /** Resolves after the first line (from index `from`) matching `pred`. */
  waitLog(pred: (l: LogLine) => boolean, opts?: { from?: number; timeoutMs?: number; message?: string }): Promise<LogLine>;
  /** `show proc` through the master socket. */
  showProc(): Promise<ProcInfo>;
  /** `haproxy -c` on the rendered files: HAProxy's output, rejects on failure. */
  check(): Promise<string>;
  /** SIGTERM, wait for exit, assert no HAProxy process survives; the exit code. */
  stop(): Promise<number | null>;
}

/** keyplate `run` on the top-level config.toml, started once HAProxy is up; stopped in t.after. */
export async function startKeyplate(t: After, emu: RancherMetadataEmulator, opts: KeyplateOptions): Promise<Keyplate> {
  await requireHaproxy();
  const dir = await mkdtemp(join(tmpdir(), 'keyplate-e2e-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (let attempt = 1; ; attempt++) {
    const kp = await launch(dir, emu, opts, attempt);
    t.after(() => kp.cleanup());
    const state = await waitFor(() => (kp.exited ? 'exited' : kp.logs.some((l) => l.msg === 'HAProxy started') ? 'up' : undefined), {
      timeoutMs: 30_000,
      message: 'keyplate to start HAProxy',
    });
    if (state === 'up') return kp;
    const tail = kp.logs.slice(-15).map((l) => JSON.stringify(l)).join('\n');
    if (attempt < 3 && /cannot bind|Address already in use/i.test(tail)) continue; // a free port was taken meanwhile
    throw new Error(`keyplate exited before HAProxy started:\n${tail}`);
  }
}

class KeyplateProcess implements Keyplate {
  readonly logs: LogLine[] = [];
  readonly #pids = new Set<number>();
  #exit: Promise<number | null>;
  exited = false;

  constructor(
    readonly dir: string,
    readonly files: Files,
    readonly ports: Keyplate['ports'],
    readonly child: ChildProcess,
  ) {
    this.#exit = new Promise((resolve) => child.once('exit', (code) => {
      this.exited = true;
      resolve(code);
    }));
    createInterface({ input: child.stderr! }).on('line', (line) => this.#line(line));
    createInterface({ input: child.stdout! }).on('line', (line) => this.logs.push({ stdout: line }));
  }

  #line(line: string): void {
    let l: LogLine;
    try {
      l = JSON.parse(line) as LogLine;
    } catch {
      l = { raw: line };
    }
    this.logs.push(l);
    for (const k of ['masterPid', 'workerPid', 'newWorkerPid']) if (typeof l[k] === 'number') this.#pids.add(l[k] as number);
    if (Array.isArray(l.oldWorkerPids)) for (const p of l.oldWorkerPids) this.#pids.add(Number(p));
    if (typeof l.haproxy === 'string') for (const m of l.haproxy.matchAll(/\((\d+)\)/g)) this.#pids.add(Number(m[1]));
  }

  waitLog(pred: (l: LogLine) => boolean, opts: { from?: number; timeoutMs?: number; message?: string } = {}): Promise<LogLine> {
    return waitFor(() => this.logs.slice(opts.from ?? 0).find(pred), { timeoutMs: opts.timeoutMs ?? 20_000, message: opts.message ?? 'a log line' });
  }

  async showProc(): Promise<ProcInfo> {
    const info = parseShowProc(await cliCommand(this.files.master, 'show proc'));
    if (!info) throw new Error('show proc: no master line');
    for (const p of [info.masterPid, ...info.workers, ...info.oldWorkers]) this.#pids.add(p);
    return info;
  }

  check(): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(HAPROXY, ['-c', '-f', this.files.config, '-f', this.files.backends], (err, out, errOut) =>
        err ? reject(new Error(`haproxy -c rejected the rendered files: ${errOut}${out}`)) : resolve(out + errOut));
    });
  }

  async stop(): Promise<number | null> {
    if (!this.exited) {
      await this.showProc().catch(() => undefined);
      this.child.kill('SIGTERM');
    }
    const code = await Promise.race([this.#exit, new Promise<'timeout'>((r) => setTimeout(r, 30_000, 'timeout').unref())]);
    if (code === 'timeout') throw new Error('keyplate did not exit within 30 s of SIGTERM');
    if (this.#pids.size === 0) throw new Error('no HAProxy pid was ever seen in the log or show proc');
    await waitFor(async () => (await this.#survivors()).length === 0, { timeoutMs: 5_000, message: 'every HAProxy process to be gone' }).catch(async () => {
      throw new Error(`HAProxy processes survived keyplate: ${(await this.#survivors()).join(', ')}`);
    });
    return code;
  }

  async #survivors(): Promise<number[]> {
    const out: number[] = [];
    for (const pid of this.#pids) if ((await isAlive(pid)) && (await isHaproxy(pid))) out.push(pid);
    return out;
  }

  /** Safety net after a failed test: stop keyplate, then kill any HAProxy process of ours by pid. */
  async cleanup(): Promise<void> {
    if (!this.exited) {
      await this.showProc().catch(() => undefined);
      this.child.kill('SIGTERM');
      const done = await Promise.race([this.#exit.then(() => true), new Promise<false>((r) => setTimeout(r, 15_000, false).unref())]);
      if (!done) this.child.kill('SIGKILL');
    }
    for (const pid of await this.#survivors()) process.kill(pid, 'SIGKILL');
  }
}

async function isHaproxy(pid: number): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes('haproxy');
  } catch {
    return false;
  }
}

async function launch(dir: string, emu: RancherMetadataEmulator, opts: KeyplateOptions, attempt: number): Promise<KeyplateProcess> {
  const etc = join(dir, `run${attempt}`, 'etc', 'haproxy'); // keyplate creates it (make_directories)
  const run = join(dir, `run${attempt}`);
  const files: Files = {
    config: join(etc, 'haproxy.cfg'),
    backends: join(etc, 'haproxy-backends.cfg'),
    map: join(etc, 'domain.map'),
    pem: join(etc, 'server.pem'),
    master: join(run, 'haproxy-master.sock'),
    admin: join(run, 'haproxy-admin.sock'),
  };
  await mkdir(run, { recursive: true });
  let ports = { http: 0, https: 0, stats: 0 };
  while (new Set(Object.values(ports)).size < 3) ports = { http: await freePort(), https: await freePort(), stats: await freePort() };
  await opts.prepare?.(files);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    STACK_DOMAIN: DOMAIN,
    RANCHER_API_HOST: emu.host,
    RANCHER_API_VERSION: opts.apiVersion,
    RANCHER_PROXY_LABEL: PROXY_LABEL,
    HTTP_PORT: String(ports.http),
    HTTPS_PORT: String(ports.https),
    STATS_PORT: String(ports.stats),
    HAPROXY_CONFIG: files.config,
    HAPROXY_BACKEND_CONFIG: files.backends,
    HAPROXY_DOMAIN_MAP: files.map,
    HAPROXY_SSL_CERT: files.pem,
    HAPROXY_MASTER_SOCKET: files.master,
    HAPROXY_ADMIN_SOCKET: files.admin,
    HAPROXY_STOP_TIMEOUT: '5s',
    KEYPLATE_TEMPLATES: join(REPO, 'templates'),
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    ...opts.env,
  };
  const child = spawn(process.execPath, ['--import', TSX, join(REPO, 'src', 'bin.ts'), 'run', '-c', CONFIG], {
    cwd: run,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new KeyplateProcess(dir, files, ports, child);
}

export interface FileState {
  readonly content: Buffer;
  readonly ino: number;
}

/** Content and inode of each path (absent files are `undefined`). */
export async function fileStates(paths: readonly string[]): Promise<Array<FileState | undefined>> {
  return Promise.all(paths.map(async (p) => {
    try {
      const [content, st] = await Promise.all([readFile(p), stat(p)]);
      return { content, ino: st.ino };
    } catch {
      return undefined;
    }
  }));
}

/** Messages and fields of the lines from `from` on, for assertion messages. */
export function dump(logs: readonly LogLine[], from = 0): string {
  return logs.slice(from).map((l) => JSON.stringify(l)).join('\n').slice(-6_000);
}
