/**
 * (d) the live-HAProxy layer: time from an etcd put that adds a server to an existing backend to
 * the first request that server answers, through keyplate (child process, as shipped) supervising
 * a real HAProxy (bench/fixtures/haproxy-live.toml), with the Runtime API or with forced reloads.
 * Real HTTP backends on 127.0.0.1 answer with their name; each sample's server is removed again
 * (untimed) before the next one, so the backend keeps the same size.
 */
import { spawn } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { Etcd3 } from 'etcd3';
import { freePort } from '../test/helpers/etcd.ts';
import { killGroup, killMentioning, type Cleanup } from './lib/cleanup.ts';
import { ROOT, type Entry } from './onetime.ts';

const CONFIG = join(ROOT, 'bench/fixtures/haproxy-live.toml');

interface NamedServer {
  readonly name: string;
  readonly port: number;
  close(): Promise<void>;
}

async function httpBackend(name: string): Promise<NamedServer> {
  const server: Server = createServer((req, res) => {
    req.resume();
    res.end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    name,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One GET on a fresh connection; the body, or undefined on any error. */
function get(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' }, timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Request until `name` answers; resolves with performance.now() at that response. */
async function firstServedBy(port: number, name: string, deadlineMs: number): Promise<number> {
  const until = performance.now() + deadlineMs;
  while (performance.now() < until) {
    if ((await get(port)) === name) return performance.now();
  }
  throw new Error(`no request was served by ${name} within ${deadlineMs} ms`);
}

/** One Runtime API command on the admin socket; '' when it is not there (e.g. mid-reload). */
function adminCommand(socket: string, cmd: string): Promise<string> {
  return new Promise((resolve) => {
    const c = connect(socket);
    let out = '';
    c.setTimeout(2_000, () => c.destroy());
    c.on('connect', () => c.end(`${cmd}\n`));
    c.on('data', (b) => (out += b));
    c.on('close', () => resolve(out));
    c.on('error', () => resolve(''));
  });
}

/** Out of rotation: gone from `show servers state`, or no longer in the plain ready admin state. */
async function waitOutOfRotation(socket: string, server: string, deadlineMs: number): Promise<boolean> {
  const until = performance.now() + deadlineMs;
  while (performance.now() < until) {
    const state = await adminCommand(socket, 'show servers state app');
    if (state.startsWith('1\n')) {
      const line = state.split('\n').find((l) => l.split(' ')[3] === server);
      if (!line || line.split(' ')[6] !== '0') return true;
    }
    await delay(20);
  }
  return false;
}

export interface LiveResult {
  readonly times: number[];
  readonly notes: string[];
}

export interface LiveOptions {
  readonly cleanup: Cleanup;
  readonly kv: Etcd3;
  readonly etcdUrl: string;
  readonly dir: string;
  readonly entry: Entry;
  readonly runtimeApi: boolean;
  readonly samples: number;
}

export async function liveHaproxy(o: LiveOptions): Promise<LiveResult> {
  const notes: string[] = [];
  await o.kv.delete().prefix('/live/');
  const base = await Promise.all([httpBackend('base1'), httpBackend('base2')]);
  o.cleanup.after(() => Promise.all(base.map((b) => b.close())));
  await o.kv.put('/live/app/1').value(`127.0.0.1:${base[0].port}`);
  await o.kv.put('/live/app/2').value(`127.0.0.1:${base[1].port}`);
  const port = await freePort();
  const child = spawn(process.execPath, [...o.entry.args, 'run', '-c', CONFIG], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ETCD_NODE: o.etcdUrl,
      BENCH_DIR: o.dir,
      BENCH_PORT: String(port),
      BENCH_RUNTIME_API: String(o.runtimeApi),
      BENCH_MIN_RELOAD_INTERVAL: '0s',
    },
  });
  let output = '';
  child.stdout.on('data', (b) => (output = (output + b).slice(-20_000)));
  child.stderr.on('data', (b) => (output = (output + b).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const code = await Promise.race([exited, delay(15_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') {
      notes.push('keyplate did not stop within 15 s; killed');
      killGroup(child.pid!, 'SIGKILL');
      await exited;
    } else if (code !== 0) notes.push(`keyplate exited ${code} on SIGTERM`);
    const left = await killMentioning(o.dir);
    if (left > 0) notes.push(`${left} process(es) were left running on the bench files; killed`);
  };
  o.cleanup.after(stop);
  try {
    await firstServedBy(port, 'base1', 30_000).catch((e: Error) => {
      throw new Error(`${e.message}: HAProxy did not come up\n${output.slice(-3000)}`);
    });
    const times: number[] = [];
    for (let i = 0; i < o.samples; i++) {
      const id = 100 + i;
      const b = await httpBackend(`n${i}`);
      try {
        const start = performance.now();
        await o.kv.put(`/live/app/${id}`).value(`127.0.0.1:${b.port}`);
        times.push((await firstServedBy(port, b.name, 30_000)) - start);
        await o.kv.delete().key(`/live/app/${id}`);
        if (!(await waitOutOfRotation(join(o.dir, 'admin.sock'), `s${id}`, 15_000))) notes.push(`s${id} was still in rotation after 15 s`);
      } finally {
        await b.close();
      }
    }
    return { times, notes };
  } finally {
    await stop();
  }
}
