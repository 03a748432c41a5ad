/** Shared fixtures for the real-HAProxy tests: free ports, HTTP backends, configs, controllers. */
import { access, constants, readFile, writeFile } from 'node:fs/promises';
import { createServer, request, Agent, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { HaproxyController } from '../../src/haproxy/controller.ts';
import type { HaproxyControllerOptions } from '../../src/haproxy/options.ts';
import { silentLogger } from '../helpers/logger.ts';
import { tempDir } from '../helpers/tmp.ts';

export const HAPROXY = '/usr/sbin/haproxy';

/** Fail (never skip) when HAProxy is missing, naming the Debian package. */
export async function requireHaproxy(): Promise<void> {
  try {
    await access(HAPROXY, constants.X_OK);
  } catch {
    throw new Error(`${HAPROXY} not found: install the Debian package "haproxy" (apt-get install haproxy)`);
  }
}

/** A port that was free a moment ago (bind 0, close). Callers retry on collision. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface TestBackend {
  readonly name: string;
  readonly port: number;
  /** Requests served so far. */
  hits: number;
}

/** An HTTP server on 127.0.0.1:0 answering its name; closed when the test ends. */
export async function startBackend(t: Pick<TestContext, 'after'>, name: string): Promise<TestBackend> {
  const b = { name, port: 0, hits: 0 };
  const server: Server = createServer((req, res) => {
    b.hits++;
    req.resume();
    res.setHeader('content-type', 'text/plain');
    res.end(name);
  });
  server.keepAliveTimeout = 60_000; // longer than HAProxy keeps idle server connections
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  b.port = typeof addr === 'object' && addr ? addr.port : 0;
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return b;
}

export interface BackendSpec {
  readonly balance?: string;
  readonly servers: ReadonlyArray<{ readonly name: string; readonly port: number; readonly id?: number; readonly opts?: string }>;
}

export interface ConfigSpec {
  readonly dir: string;
  readonly port: number;
  readonly gen?: string;
  readonly backends: Readonly<Record<string, BackendSpec>>;
  /** Extra lines in the frontend (e.g. a broken one). */
  readonly frontendExtra?: readonly string[];
}

/** The haproxy.cfg a keyplate template would render (meets docs/haproxy.md's requirements). */
export function renderConfig(c: ConfigSpec): string {
  const lines = [
    'global',
    `    stats socket ${c.dir}/admin.sock mode 600 level admin expose-fd listeners`,
    '    stats timeout 30s',
    '    hard-stop-after 5s',
    '    mworker-max-reloads 50',
    '    nbthread 2',
    'defaults',
    '    mode http',
    '    timeout connect 2s',
    '    timeout client 30s',
    '    timeout server 30s',
    '    timeout http-keep-alive 30s',
    'frontend fe',
    `    bind 127.0.0.1:${c.port}`,
    `    http-response set-header X-Gen ${c.gen ?? 'g1'}`,
    ...(c.frontendExtra ?? []).map((l) => `    ${l}`),
    `    use_backend %[req.hdr(host),field(1,:),lower,map(${c.dir}/hosts.map,fallback)]`,
    'backend fallback',
    '    http-request return status 404 content-type text/plain string "no route"',
  ];
  for (const [name, b] of Object.entries(c.backends)) {
    lines.push(`backend ${name}`, `    balance ${b.balance ?? 'roundrobin'}`);
    for (const s of b.servers) lines.push(`    server ${s.name} 127.0.0.1:${s.port}${s.id !== undefined ? ` id ${s.id}` : ''}${s.opts ? ` ${s.opts}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface Fixture {
  readonly dir: string;
  readonly port: number;
  readonly ctl: HaproxyController;
  readonly cfgPath: string;
  readonly mapPath: string;
  /** Write haproxy.cfg (with this fixture's dir/port) and hosts.map. */
  write(spec: Omit<ConfigSpec, 'dir' | 'port'>, map: Readonly<Record<string, string>>): Promise<void>;
}

/** Write files, start a controller on a free port (retrying on a port collision), stop it in t.after. */
export async function startFixture(
  t: Pick<TestContext, 'after'>,
  initial: Omit<ConfigSpec, 'dir' | 'port'>,
  map: Readonly<Record<string, string>>,
  opts: Partial<HaproxyControllerOptions> = {},
): Promise<Fixture> {
  await requireHaproxy();
  const dir = await tempDir(t, 'keyplate-haproxy');
  const cfgPath = join(dir, 'haproxy.cfg');
  const mapPath = join(dir, 'hosts.map');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const write = async (spec: Omit<ConfigSpec, 'dir' | 'port'>, m: Readonly<Record<string, string>>): Promise<void> => {
      await writeFile(mapPath, Object.entries(m).map(([k, v]) => `${k} ${v}\n`).join(''));
      await writeFile(cfgPath, renderConfig({ ...spec, dir, port }));
    };
    await write(initial, map);
    const ctl = new HaproxyController(
      { command: HAPROXY, configFiles: [cfgPath], masterSocket: join(dir, 'master.sock'), cwd: dir, stopTimeoutMs: 5000, minReloadIntervalMs: 200, ...opts },
      { logger: silentLogger() },
    );
    try {
      await ctl.start();
    } catch (e) {
      await ctl.stop({ timeoutMs: 0 });
      if (attempt < 3 && /bind|Address already in use/i.test(String(e))) continue;
      throw e;
    }
    t.after(() => ctl.stop({ timeoutMs: 2000 }));
    return { dir, port, ctl, cfgPath, mapPath, write };
  }
}

export interface HttpReply {
  readonly status: number;
  readonly body: string;
  readonly gen?: string;
}

/** GET / with a Host header through HAProxy. */
export function httpGet(port: number, host: string, agent?: Agent): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: agent ?? false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, gen: res.headers['x-gen'] as string | undefined }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Is this PID a live (non-zombie) process? */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}
