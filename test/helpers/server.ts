/**
 * A server process for tests (redis-server, ZooKeeper, nats-server): started on free loopback
 * ports in a temp dir, waited for with a deadline, stopped and started again on the same ports
 * and data, and killed when the test ends. The caller gives the command for a port set and a
 * readiness probe.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { freePort } from './etcd.ts';
import { waitFor } from './wait.ts';

export interface ServerSpec {
  readonly label: string;
  /** How many ports to allocate. */
  readonly ports: number;
  command(ports: readonly number[], dir: string): { readonly bin: string; readonly args: readonly string[]; readonly env?: NodeJS.ProcessEnv };
  /** True once the server answers. */
  ready(ports: readonly number[]): Promise<boolean>;
  readonly startTimeoutMs?: number;
}

export interface TestServer {
  readonly ports: readonly number[];
  readonly dir: string;
  running(): boolean;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** Start again on the same ports and data; resolves when ready. */
  start(): Promise<void>;
  output(): string;
}

export async function startServer(t: Pick<TestContext, 'after'>, spec: ServerSpec): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), `keyplate-${spec.label}-`));
  t.after(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  for (let attempt = 1; ; attempt++) {
    const ports = await Promise.all(Array.from({ length: spec.ports }, () => freePort()));
    if (new Set(ports).size !== ports.length) continue;
    const server = makeServer(spec, ports, dir);
    t.after(() => server.kill());
    try {
      await server.start();
      return server;
    } catch (e) {
      await server.kill();
      if (attempt < 5 && /address already in use|bind/i.test(server.output())) continue;
      throw e;
    }
  }
}

function makeServer(spec: ServerSpec, ports: readonly number[], dir: string): TestServer & { kill(): Promise<void> } {
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let out = '';
  const running = () => proc !== undefined && proc.exitCode === null && proc.signalCode === null;
  const signal = async (sig: NodeJS.Signals) => {
    const p = proc;
    if (!p || !running()) return;
    p.kill(sig);
    const force = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(force);
  };
  return {
    ports,
    dir,
    running,
    output: () => out,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    async start() {
      if (running()) return;
      const { bin, args, env } = spec.command(ports, dir);
      out = '';
      const p = spawn(bin, [...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, env: env ?? process.env });
      proc = p;
      const collect = (b: Buffer) => {
        out = (out + b.toString()).slice(-20_000);
      };
      p.stdout!.on('data', collect);
      p.stderr!.on('data', collect);
      exited = new Promise((resolve) => p.once('exit', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        p.once('spawn', () => resolve());
        p.once('error', reject);
      });
      const state = await waitFor(async () => (!running() ? 'exited' : (await spec.ready(ports)) ? 'ready' : undefined), {
        timeoutMs: spec.startTimeoutMs ?? 20_000,
        intervalMs: 50,
        message: `${spec.label} on ports ${ports.join(', ')} to be ready`,
      });
      if (state === 'exited') throw new Error(`${spec.label} exited: ${out.slice(-2_000)}`);
    },
  };
}

/** Send `request` on a fresh TCP connection to 127.0.0.1:`port`; resolve with what came back first ('' on error). */
export function tcpAsk(port: number, request: string, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let got = '';
    const done = () => {
      s.destroy();
      resolve(got);
    };
    s.setTimeout(timeoutMs, done);
    s.on('error', done);
    s.on('connect', () => s.write(request));
    s.on('data', (b) => {
      got += b.toString();
      done();
    });
  });
}
