/**
 * Real etcd servers for tests: Debian's etcd-server 3.4 (`/usr/bin/etcd`) with the v2 API enabled,
 * on free loopback ports, in a temp data dir. One member (`startEtcd`) or a 3-member cluster
 * (`startEtcdCluster`) whose members can be killed and started again. Everything started is
 * stopped by the test (`t.after`). Also small seeding helpers: a v3 client and v2 fetch calls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Etcd3, Range } from 'etcd3';
import { waitFor } from './wait.ts';

export const ETCD_BIN = '/usr/bin/etcd';
type After = Pick<TestContext, 'after'>;

export async function requireEtcdBinary(): Promise<void> {
  try {
    await access(ETCD_BIN, constants.X_OK);
  } catch {
    throw new Error(`${ETCD_BIN} is missing: install the Debian package "etcd-server" (apt-get install etcd-server)`);
  }
}

/** A port that was free a moment ago (bind port 0, read it, close). Callers retry on collision. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  /** True while the process runs. */
  running(): boolean;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
  /** Start again on the same ports and data dir; resolves once the process is up (not necessarily healthy). */
  start(): Promise<void>;
  /** Output of the current process (for failure messages). */
  output(): string;
}

interface MemberSpec {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  readonly initialCluster: string;
  readonly timing: { heartbeat: number; election: number };
}

function memberArgs(s: MemberSpec): string[] {
  const client = `http://127.0.0.1:${s.clientPort}`;
  const peer = `http://127.0.0.1:${s.peerPort}`;
  return [
    '--name', s.name,
    '--data-dir', s.dataDir,
    '--enable-v2=true',
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', s.initialCluster,
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', 'keyplate-test',
    '--heartbeat-interval', String(s.timing.heartbeat),
    '--election-timeout', String(s.timing.election),
    '--logger', 'zap',
    '--log-level', 'warn',
  ];
}

function makeMember(spec: MemberSpec): EtcdMember {
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let out = '';
  const signal = async (sig: NodeJS.Signals) => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill(sig);
    const force = setTimeout(() => p.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(force);
  };
  return {
    name: spec.name,
    clientUrl: `http://127.0.0.1:${spec.clientPort}`,
    peerUrl: `http://127.0.0.1:${spec.peerPort}`,
    dataDir: spec.dataDir,
    running: () => proc !== undefined && proc.exitCode === null && proc.signalCode === null,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    output: () => out,
    async start() {
      if (proc && proc.exitCode === null && proc.signalCode === null) return;
      out = '';
      const p = spawn(ETCD_BIN, memberArgs(spec), { stdio: ['ignore', 'pipe', 'pipe'] });
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
    },
  };
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { health?: string };
    return res.ok && body.health === 'true';
  } catch {
    return false;
  }
}

/** Wait until `member` answers /health (it has a leader), or fail with its output. */
export async function waitHealthy(member: EtcdMember, timeoutMs = 20_000): Promise<void> {
  const state = await waitFor(
    async () => (!member.running() ? 'exited' : (await healthy(member.clientUrl)) ? 'healthy' : undefined),
    { timeoutMs, intervalMs: 50, message: `etcd ${member.name} at ${member.clientUrl} to be healthy` },
  );
  if (state === 'exited') throw new Error(`etcd ${member.name} exited: ${member.output().slice(-2_000)}`);
}

async function tempData(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `keyplate-${label}-`));
}

export interface EtcdServer extends EtcdMember {
  /** Stop, start again on the same ports and data, wait until healthy. */
  restart(): Promise<void>;
}

/** One etcd member with the v2 API on; stopped and its data removed when the test ends. */
export async function startEtcd(t: After): Promise<EtcdServer> {
  await requireEtcdBinary();
  const root = await tempData('etcd');
  t.after(() => rm(root, { recursive: true, force: true }));
  for (let attempt = 1; ; attempt++) {
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const dataDir = join(root, `data-${attempt}`);
    const name = 'solo';
    const m = makeMember({
      name, clientPort, peerPort, dataDir,
      initialCluster: `${name}=http://127.0.0.1:${peerPort}`,
      timing: { heartbeat: 50, election: 500 },
    });
    await m.start();
    try {
      await waitHealthy(m);
    } catch (e) {
      await m.kill();
      if (attempt < 5 && /address already in use/.test(m.output())) continue; // port collision: new ports
      throw e;
    }
    t.after(() => m.kill());
    return {
      ...m,
      async restart() {
        await m.stop();
        await m.start();
        await waitHealthy(m);
      },
    };
  }
}

export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  readonly clientUrls: readonly string[];
  kill(i: number): Promise<void>;
  start(i: number): Promise<void>;
}

/** A 3-member cluster on loopback; every member is killed when the test ends. */
export async function startEtcdCluster(t: After, size = 3): Promise<EtcdCluster> {
  await requireEtcdBinary();
  const root = await tempData('etcd-cluster');
  t.after(() => rm(root, { recursive: true, force: true }));
  for (let attempt = 1; ; attempt++) {
    const ports = await Promise.all(Array.from({ length: size * 2 }, () => freePort()));
    if (new Set(ports).size !== ports.length) continue;
    const names = Array.from({ length: size }, (_, i) => `m${i}`);
    const initialCluster = names.map((n, i) => `${n}=http://127.0.0.1:${ports[size + i]}`).join(',');
    const members = names.map((name, i) =>
      makeMember({
        name, clientPort: ports[i], peerPort: ports[size + i], dataDir: join(root, `${attempt}-${name}`),
        initialCluster, timing: { heartbeat: 100, election: 1_000 },
      }),
    );
    await Promise.all(members.map((m) => m.start()));
    try {
      await Promise.all(members.map((m) => waitHealthy(m, 30_000)));
    } catch (e) {
      await Promise.all(members.map((m) => m.kill()));
      if (attempt < 5 && members.some((m) => /address already in use/.test(m.output()))) continue;
      throw e;
    }
    t.after(() => Promise.all(members.map((m) => m.kill())).then(() => undefined));
    return {
      members,
      clientUrls: members.map((m) => m.clientUrl),
      kill: (i) => members[i].kill(),
      async start(i) {
        await members[i].start();
        await waitHealthy(members[i], 30_000);
      },
    };
  }
}

/** A v3 client for seeding (the etcd3 package), closed when the test ends. */
export function v3Client(t: After, urls: string | readonly string[]): Etcd3 {
  const client = new Etcd3({ hosts: typeof urls === 'string' ? [urls] : [...urls] });
  t.after(() => client.close());
  return client;
}

function v2Url(base: string, key: string): string {
  return `${base}/v2/keys${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** v2 PUT with a form body, as go-etcd does; returns the new modifiedIndex. */
export async function v2Put(base: string, key: string, value: string, ttl?: number): Promise<number> {
  const form = new URLSearchParams({ value });
  if (ttl !== undefined && ttl > 0) form.set('ttl', String(ttl));
  const res = await fetch(v2Url(base, key), { method: 'PUT', body: form });
  const body = (await res.json()) as { node?: { modifiedIndex: number }; message?: string };
  if (!res.ok || !body.node) throw new Error(`v2 PUT ${key}: HTTP ${res.status} ${body.message ?? ''}`);
  return body.node.modifiedIndex;
}

/** v2 DELETE (a directory with `{ dir: true, recursive: true }`). */
export async function v2Delete(base: string, key: string, opts: { dir?: boolean; recursive?: boolean } = {}): Promise<void> {
  const q = new URLSearchParams();
  if (opts.dir) q.set('dir', 'true');
  if (opts.recursive) q.set('recursive', 'true');
  const res = await fetch(`${v2Url(base, key)}${q.size ? `?${q}` : ''}`, { method: 'DELETE' });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`v2 DELETE ${key}: HTTP ${res.status}`);
}

/** v2 empty directory (registrator leaves these behind after a deregister). */
export async function v2Mkdir(base: string, key: string): Promise<void> {
  const res = await fetch(v2Url(base, key), { method: 'PUT', body: new URLSearchParams({ dir: 'true' }) });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`v2 mkdir ${key}: HTTP ${res.status}`);
}

/** Turn on etcd authentication with one user holding the root role; returns a client logged in as that user. */
export async function enableAuth(t: After, url: string, user: string, password: string): Promise<Etcd3> {
  const admin = v3Client(t, url);
  await admin.role('root').create().catch((e: unknown) => {
    if (!/already exists/.test(String(e))) throw e;
  });
  // etcd enables auth only once a user named root exists
  for (const name of new Set(['root', user])) {
    await admin.user(name).create(password);
    await admin.user(name).addRole('root');
  }
  await admin.auth.authEnable();
  const client = new Etcd3({ hosts: [url], auth: { username: user, password } });
  t.after(() => client.close());
  return client;
}

/**
 * Turn on etcd authentication as a careful operator does: a `root` user (returned, logged in) and
 * `user`, whose only role may read `prefix`.
 */
export async function enableAuthForReader(
  t: After,
  url: string,
  o: { readonly rootPassword: string; readonly user: string; readonly password: string; readonly prefix: string },
): Promise<Etcd3> {
  const admin = v3Client(t, url);
  await admin.role('root').create();
  await admin.user('root').create(o.rootPassword);
  await admin.user('root').addRole('root');
  const role = await admin.role(`${o.user}-read`).create();
  await role.grant({ permission: 'Read', range: Range.prefix(o.prefix) });
  await admin.user(o.user).create(o.password);
  await admin.user(o.user).addRole(role);
  await admin.auth.authEnable();
  const root = new Etcd3({
    hosts: [url],
    auth: { username: 'root', password: o.rootPassword },
    // every call bounded, so a test's waitFor can retry a call that met a restarting etcd
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 5_000 }),
  });
  t.after(() => root.close());
  return root;
}
