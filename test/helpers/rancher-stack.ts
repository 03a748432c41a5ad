/**
 * The rancher-haproxy preset end to end, on the daemon harness (daemon.ts): the Rancher metadata
 * emulator with the image's deployment, and the REAL `keyplate run -c config.toml` (the
 * repository's top-level config, unchanged) with the image's environment variables pointing every
 * file, socket and port into a temp dir. stop() stops keyplate and asserts that no HAProxy
 * process it started survived.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { cliCommand } from '../../src/haproxy/runtime-socket.ts';
import { parseShowProc, type ProcInfo } from '../../src/haproxy/runtime-answers.ts';
import { startRancherMetadata, type RancherMetadataEmulator } from '../emulator/rancher-metadata.ts';
import { rancherHaproxyWorld, type ContainerRecord } from '../emulator/world.ts';
import { freePort, HAPROXY, requireHaproxy } from '../haproxy/harness.ts';
import { REPO, startDaemon, type Daemon } from './daemon.ts';
import { alive, isHaproxy } from './procs.ts';
import { tempDir } from './tmp.ts';
import { waitFor } from './wait.ts';

type After = Pick<TestContext, 'after'>;

export const CONFIG = join(REPO, 'config.toml');
export const DOMAIN = 'dev.tld';
export const LABEL = 'map-public-http';
/** The proxy label name the tests use (the image's README suggests `proxy_protocol`). */
export const PROXY_LABEL = 'proxy_protocol';

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

/** A running preset: the daemon, its files and ports, HAProxy through its sockets. */
export class Keyplate {
  constructor(
    readonly daemon: Daemon,
    readonly files: Files,
    readonly ports: { readonly http: number; readonly https: number; readonly stats: number },
  ) {}

  get logs() {
    return this.daemon.logs;
  }

  /** `show proc` through the master socket. */
  async showProc(): Promise<ProcInfo> {
    const info = parseShowProc(await cliCommand(this.files.master, 'show proc'));
    if (!info) throw new Error('show proc: no master line');
    return info;
  }

  /** `haproxy -c` on the rendered files: HAProxy's output, rejects on failure. */
  check(): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(HAPROXY, ['-c', '-f', this.files.config, '-f', this.files.backends], (err, out, errOut) =>
        err ? reject(new Error(`haproxy -c rejected the rendered files: ${errOut}${out}`)) : resolve(out + errOut));
    });
  }

  /** SIGTERM, wait for the exit, assert no HAProxy process survives; the exit code. */
  async stop(): Promise<number | null> {
    const pids = new Set(this.daemon.haproxyPids());
    if (!this.daemon.exited) {
      const proc = await this.showProc().catch(() => undefined);
      for (const p of proc ? [proc.masterPid, ...proc.workers, ...proc.oldWorkers] : []) pids.add(p);
    }
    const exit = await Promise.race([this.daemon.stop(60_000), new Promise<'timeout'>((r) => setTimeout(r, 30_000, 'timeout').unref())]);
    if (exit === 'timeout') throw new Error('keyplate did not exit within 30 s of SIGTERM');
    for (const p of this.daemon.haproxyPids()) pids.add(p);
    if (pids.size === 0) throw new Error('no HAProxy pid was ever seen in the log or show proc');
    const survivors = async () => {
      const out: number[] = [];
      for (const pid of pids) if ((await alive(pid)) && (await isHaproxy(pid))) out.push(pid);
      return out;
    };
    await waitFor(async () => (await survivors()).length === 0, { timeoutMs: 5_000, message: 'every HAProxy process to be gone' }).catch(async () => {
      throw new Error(`HAProxy processes survived keyplate: ${(await survivors()).join(', ')}`);
    });
    return exit.code;
  }
}

/** keyplate `run` on the top-level config.toml, resolved once HAProxy is up; stopped when the test ends. */
export async function startKeyplate(t: After, emu: RancherMetadataEmulator, opts: KeyplateOptions): Promise<Keyplate> {
  await requireHaproxy();
  const dir = await tempDir(t, 'keyplate-e2e');
  for (let attempt = 1; ; attempt++) {
    const run = join(dir, `run${attempt}`);
    const etc = join(run, 'etc', 'haproxy'); // keyplate creates it (make_directories)
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
    const daemon = startDaemon(t, {
      config: CONFIG,
      listen: false,
      cwd: run,
      env: {
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
      },
    });
    const up = await daemon.waitEvent('haproxy-started', { timeoutMs: 30_000, message: 'keyplate to start HAProxy' }).catch((e: Error) => e);
    if (!(up instanceof Error)) return new Keyplate(daemon, files, ports);
    if (attempt < 3 && daemon.exited && /cannot bind|Address already in use/i.test(daemon.dump(-15))) continue; // a free port was taken meanwhile
    throw up;
  }
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
