/**
 * examples/etcd-haproxy end to end under load: real etcd (v2 keyspace, written like
 * gliderlabs/registrator), keyplate as a child process running HAProxy, real loopback HTTP
 * backends. 200 topology changes (servers added and removed, hosts mapped and unmapped, 10 new
 * backends in two bursts) while 4 keep-alive and 4 new-connection clients send 20,000+ requests:
 * 0 failed requests to the stable hosts, server/map changes never reload, new backends reload at
 * most once per min_reload_interval, and the final live state equals a fresh start on the files.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { v2Delete, v2Put } from '../helpers/etcd.ts';
import { GliderlabsRegistrator, type Service } from '../helpers/registrator.ts';
import { waitFor } from '../helpers/wait.ts';
import { httpGet, startBackend, type TestBackend } from '../haproxy/harness.ts';
import type { ProcInfo } from '../../src/haproxy/index.ts';
import type { LogLine } from '../helpers/daemon.ts';
import { freshState, readState, startStack, type HaproxyState } from '../helpers/live-stack.ts';
import { haproxyPids } from '../helpers/procs.ts';
import { startLoad } from './live-load.ts';

const CHANGES = 200;
const NEW_BACKENDS = [40, 41, 42, 43, 44, 120, 121, 122, 123, 124]; // change index → svc0..svc9
const REQUESTS_PER_CHANGE = 70;
const MIN_REQUESTS = 20_000;
const MIN_RELOAD_INTERVAL_MS = 2_000;

interface Topology {
  /** `service/id` → the registration. */
  readonly servers: Map<string, Service>;
  readonly hosts: Map<string, string>;
}

/** What HAProxy must end up serving for a topology (names are registrator ids, already valid). */
function expected(top: Topology): { servers: string[]; map: string[] } {
  const servers = [...top.servers.values()].map((s) => `be_${s.name}/${s.id} 127.0.0.1:${s.port}`).sort();
  const map = [...top.hosts].map(([h, svc]) => `${h} be_${svc}`).sort();
  return { servers, map };
}

function liveView(s: HaproxyState): { servers: string[]; map: string[] } {
  return { servers: s.servers.map((l) => l.split(' ').filter((_, i) => i !== 1 && i < 3).join(' ')).sort(), map: [...s.map] };
}

/** True when equal; otherwise throws the difference (waitFor reports the last one). */
function sameTopology(live: { servers: string[]; map: string[] }, want: { servers: string[]; map: string[] }): true {
  const diff = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
  const d = {
    missingServers: diff(want.servers, live.servers),
    extraServers: diff(live.servers, want.servers),
    missingHosts: diff(want.map, live.map),
    extraHosts: diff(live.map, want.map),
  };
  if (Object.values(d).some((x) => x.length > 0)) throw new Error(JSON.stringify(d));
  return true;
}

/** The change stream: every call makes one change through etcd and records it in `top`. */
function changeMaker(etcdUrl: string, reg: GliderlabsRegistrator, top: Topology, pools: Record<'web' | 'api', TestBackend[]>, fresh: TestBackend[]) {
  const churn: string[] = []; // keys of servers added by the churn, oldest first
  const tempHosts: string[] = [];
  const pendingHosts: string[] = []; // new services waiting for their host
  let hostSeq = 0;
  let poolSeq = 0;
  const counts = { serverAdds: 0, serverRemoves: 0, hostMaps: 0, hostUnmaps: 0, hostRemaps: 0, newBackends: 0, badValues: 0 };
  const addServer = async (s: Service) => {
    await reg.register(s);
    top.servers.set(`${s.name}/${s.id}`, s);
  };
  const mapHost = async (host: string, svc: string) => {
    await v2Put(etcdUrl, `/hosts/${host}`, svc);
    top.hosts.set(host, svc);
  };
  const change = async (i: number): Promise<void> => {
    const k = NEW_BACKENDS.indexOf(i);
    if (k >= 0) {
      counts.newBackends++;
      pendingHosts.push(`svc${k}`);
      return addServer({ name: `svc${k}`, id: `docker${k}:svc${k}.1:80`, ip: '127.0.0.1', port: fresh[k].port });
    }
    if (i === 77 || i === 150) {
      counts.badValues++; // untrusted values: skipped by the template, never a reload
      if (i === 77) return void (await v2Put(etcdUrl, '/services/web/docker9:evil.2:80', '127.0.0.1:1\n    server x 127.0.0.1:2'));
      return v2Delete(etcdUrl, '/services/web/docker9:evil.2:80');
    }
    const svcs = ['web', 'api', ...[...top.servers.values()].map((s) => s.name).filter((n) => n.startsWith('svc'))];
    switch (i % 4) {
      case 0:
      case 1: {
        if (i % 4 === 1 && churn.length > 2) {
          counts.serverRemoves++;
          const key = churn.shift()!;
          await reg.deregister(top.servers.get(key)!);
          return void top.servers.delete(key);
        }
        counts.serverAdds++;
        const svc = i % 8 < 4 ? 'web' : 'api';
        const pool = pools[svc];
        const s: Service = { name: svc, id: `node${i}:${svc}.c${i}:80`, ip: '127.0.0.1', port: pool[poolSeq++ % pool.length].port };
        churn.push(`${s.name}/${s.id}`);
        return addServer(s);
      }
      case 2: {
        counts.hostMaps++;
        const svc = pendingHosts.shift();
        if (svc) return mapHost(`${svc}.example.com`, svc);
        const host = `t${hostSeq++}.example.com`;
        tempHosts.push(host);
        return mapHost(host, svcs[i % svcs.length]);
      }
      default: {
        if (tempHosts.length > 3) {
          counts.hostUnmaps++;
          const host = tempHosts.shift()!;
          await v2Delete(etcdUrl, `/hosts/${host}`);
          return void top.hosts.delete(host);
        }
        if (tempHosts.length === 0) return change(i - 1);
        counts.hostRemaps++;
        const host = tempHosts[0];
        return mapHost(host, top.hosts.get(host) === 'web' ? 'api' : 'web');
      }
    }
  };
  return { change, counts };
}


/**
 * From keyplate's log: every apply succeeded; only new backends reloaded (server and map changes
 * never did); reloads were coalesced; the master's counter agrees. Returns a summary line.
 */
function checkApplies(logs: readonly LogLine[], proc: ProcInfo): string {
  assert.ok(logs.some((l) => l.event === 'etcd-api' && l.version === 2), 'version = "auto" picked the v2 keyspace registrator wrote');
  const all = logs.filter((l) => l.event === 'haproxy-apply' || l.event === 'haproxy-apply-failed');
  assert.deepEqual(all.filter((l) => l.level !== 30).map((l) => l.msg), [], 'every apply succeeded');
  const runtime = all.filter((l) => l.method === 'runtime');
  const reasons = all.filter((l) => l.method === 'reload').flatMap((l) => l.reasons as string[]);
  const notNewBackend = reasons.filter((r) => !/^new backend be_svc\d$/.test(r) && !/runtime-capable change\(s\) are included in the reload/.test(r));
  assert.deepEqual(notNewBackend, [], 'only new backends reload: server and map changes never do');
  assert.equal(new Set(reasons.filter((r) => r.startsWith('new backend'))).size, NEW_BACKENDS.length, 'every new backend came with a reload');
  assert.ok(runtime.length >= 20, `${runtime.length} runtime applies`);
  assert.ok(!logs.some((l) => /runtime apply failed/.test(JSON.stringify(l))), 'no runtime apply fell back to a reload');
  const reloads = logs.filter((l) => l.event === 'haproxy-reload');
  assert.equal(proc.reloads, reloads.length, 'the master counted exactly the reloads keyplate logged');
  assert.equal(proc.failed, 0);
  // coalescing: reloads start at least min_reload_interval apart. The log gives the time the
  // reload was sent: its start plus the queue wait and the `haproxy -c` run, which vary by a few
  // hundred ms under load, so allow half the interval (back to back, reloads are ~0.4 s apart).
  // New backends arriving while a reload waits for its slot share it.
  const timeline = all.map((l) => `${l.time} ${String(l.msg).slice(0, 120)}`).join('\n');
  const sent = reloads.map((l) => Date.parse(String(l.time)) - Number(l.durationMs));
  const gaps = sent.slice(1).map((x, i) => x - sent[i]);
  assert.ok(gaps.every((g) => g >= MIN_RELOAD_INTERVAL_MS / 2), `reload gaps ${gaps.join(', ')} ms (min_reload_interval ${MIN_RELOAD_INTERVAL_MS} ms):\n${timeline}`);
  assert.ok(reloads.length >= 1 && reloads.length < NEW_BACKENDS.length, `${NEW_BACKENDS.length} new backends, ${reloads.length} reloads:\n${timeline}`);
  const none = all.filter((l) => l.method === 'none').length;
  return `applies: runtime ${runtime.length}, reload ${all.length - runtime.length - none}, none ${none}; reloads executed ${reloads.length} (master counter ${proc.reloads}, gaps ${gaps.join('/')} ms)`;
}

describe('etcd-haproxy example under load', () => {
  it('200 topology changes during 20,000+ requests: 0 failed, no reload for servers/maps, coalesced reloads for new backends, final state = fresh start', async (t) => {
    const named = (names: string[]) => Promise.all(names.map((n) => startBackend(t, n)));
    const [web, api, webPool, apiPool, fresh] = await Promise.all([
      named(['W1', 'W2']),
      named(['A1']),
      named(['WP0', 'WP1', 'WP2']),
      named(['AP0', 'AP1']),
      named(Array.from({ length: NEW_BACKENDS.length }, (_, k) => `N${k}`)),
    ]);
    const top: Topology = { servers: new Map(), hosts: new Map() };
    let reg!: GliderlabsRegistrator;
    const stack = await startStack(t, {
      minReloadIntervalMs: MIN_RELOAD_INTERVAL_MS,
      seed: async (etcd) => {
        reg = new GliderlabsRegistrator(etcd.clientUrl, { prefix: '/services' });
        await reg.start();
        const stable: Service[] = [
          { name: 'web', id: 'docker1:web.1:80', ip: '127.0.0.1', port: web[0].port },
          { name: 'web', id: 'docker2:web.2:80', ip: '127.0.0.1', port: web[1].port },
          { name: 'api', id: 'docker1:api.1:8080', ip: '127.0.0.1', port: api[0].port },
        ];
        for (const s of stable) {
          await reg.register(s);
          top.servers.set(`${s.name}/${s.id}`, s);
        }
        await v2Put(etcd.clientUrl, '/services/web/docker9:evil.1:80', '127.0.0.1:1 # evil');
        await v2Put(etcd.clientUrl, '/services/evil[/docker9:evil.3:80', '127.0.0.1:1'); // a broken glob pattern as a name
        for (const [h, svc] of [['www.example.com', 'web'], ['api.example.com', 'api']]) {
          await v2Put(etcd.clientUrl, `/hosts/${h}`, svc);
          top.hosts.set(h, svc);
        }
        await v2Put(etcd.clientUrl, '/hosts/bad host.example.com', 'web');
      },
    });
    const webNames = new Set([...web, ...webPool].map((b) => b.name));
    const apiNames = new Set([...api, ...apiPool].map((b) => b.name));
    let converged = false;
    const load = startLoad({
      port: stack.port,
      targets: [
        { host: 'www.example.com', accept: (b) => webNames.has(b) },
        { host: 'api.example.com', accept: (b) => apiNames.has(b) },
      ],
      keepAliveClients: 4,
      newConnectionClients: 4,
      minRequests: MIN_REQUESTS,
      maxRequests: 200_000,
      maxMs: 120_000,
      until: () => converged,
    });
    const maker = changeMaker(stack.etcd.clientUrl, reg, top, { web: webPool, api: apiPool }, fresh);
    const changesStarted = Date.now();
    try {
      for (let i = 0; i < CHANGES; i++) {
        await waitFor(() => load.stats.total >= (i + 1) * REQUESTS_PER_CHANGE || load.stats.endedBy, { timeoutMs: 60_000, message: `load progress before change ${i}` });
        assert.equal(load.stats.endedBy, undefined, `the load ended (${load.stats.endedBy}) before change ${i}`);
        await maker.change(i);
      }
      const want = expected(top);
      await waitFor(async () => sameTopology(liveView(await readState(stack.adminSocket, stack.mapPath)), want), {
        timeoutMs: 30_000,
        message: 'HAProxy to serve the final topology',
      });
      converged = true;
    } finally {
      if (!converged) load.stop();
    }
    const changesMs = Date.now() - changesStarted;
    const stats = await load.done;

    // the load: bounded, both client kinds, 0 failures on the stable hosts
    assert.deepEqual(stats.errors, []);
    assert.equal(stats.failed, 0);
    assert.equal(stats.endedBy, 'until');
    assert.ok(stats.total >= MIN_REQUESTS, `${stats.total} requests`);
    assert.ok(stats.keepAlive > 0 && stats.newConnection > 0);
    for (const b of [...web, ...webPool, ...api, ...apiPool]) assert.ok(b.hits > 0, `${b.name} took traffic`);
    for (const [k, b] of fresh.entries()) {
      const r = await httpGet(stack.port, `svc${k}.example.com`);
      assert.deepEqual([r.status, r.body], [200, b.name], `new backend svc${k} serves its host`);
    }

    // how the changes were applied
    const applied = checkApplies(stack.keyplate.logs, await stack.showProc());
    // the untrusted values never reached HAProxy
    const cfg = await readFile(stack.cfgPath, 'utf8');
    assert.ok(!cfg.includes('evil') && !cfg.includes('server x'), 'bad addresses and names skipped');
    assert.ok(!(await readFile(stack.mapPath, 'utf8')).includes('bad host'), 'bad host skipped');

    // the final live state equals a fresh start on the final files
    const live = await readState(stack.adminSocket, stack.mapPath);
    const fromScratch = await freshState(t, cfg, stack.mapPath);
    assert.deepEqual(live, fromScratch);

    t.diagnostic(
      `requests ${stats.total} (keep-alive ${stats.keepAlive}, new connection ${stats.newConnection}) in ${stats.durationMs} ms, failed ${stats.failed}; ` +
        `changes ${JSON.stringify(maker.counts)} in ${changesMs} ms; ${applied}; ` +
        `final: ${live.backends.length} backends, ${live.servers.length} servers, ${live.map.length} map entries`,
    );

    const exit = await stack.keyplate.stop();
    assert.deepEqual(exit, { code: 0, signal: null });
    await waitFor(async () => (await haproxyPids(stack.dir)).length === 0, { timeoutMs: 5_000, message: 'no HAProxy process left' });
  });
});
