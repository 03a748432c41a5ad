/**
 * A bounded HTTP load generator for the live tests: keep-alive clients (one reused connection
 * each) and new-connection clients (a fresh TCP connection per request) cycling over target
 * hosts through HAProxy. It stops at `maxRequests` or `maxMs`, or once `minRequests` are done and
 * `until()` says so. Every request is classified; failures keep their reason.
 */
import { Agent, request } from 'node:http';

export interface LoadTarget {
  readonly host: string;
  /** Is this response body a correct answer for the host (e.g. one of its backend's servers)? */
  readonly accept: (body: string) => boolean;
}

export interface LoadOptions {
  readonly port: number;
  readonly targets: readonly LoadTarget[];
  readonly keepAliveClients: number;
  readonly newConnectionClients: number;
  readonly minRequests: number;
  readonly maxRequests: number;
  readonly maxMs: number;
  /** Checked once minRequests are done: true ends the run. */
  readonly until?: () => boolean;
}

export interface LoadStats {
  total: number;
  ok: number;
  failed: number;
  keepAlive: number;
  newConnection: number;
  readonly errors: string[];
  readonly perHost: Map<string, number>;
  /** Why the run ended: `until`, `maxRequests` or `maxMs`. */
  endedBy?: string;
  durationMs: number;
}

export interface LoadRun {
  readonly stats: LoadStats;
  /** Resolves when every client has finished its last request. */
  readonly done: Promise<LoadStats>;
  /** End the run early (the in-flight requests still complete and count). */
  stop(): void;
}

export function startLoad(o: LoadOptions): LoadRun {
  const stats: LoadStats = { total: 0, ok: 0, failed: 0, keepAlive: 0, newConnection: 0, errors: [], perHost: new Map(), durationMs: 0 };
  const started = Date.now();
  let stopped = false;
  const shouldStop = (): boolean => {
    if (stopped) return true;
    const reason =
      stats.total >= o.maxRequests ? 'maxRequests'
      : Date.now() - started >= o.maxMs ? 'maxMs'
      : stats.total >= o.minRequests && (o.until?.() ?? true) ? 'until'
      : undefined;
    if (reason) {
      stats.endedBy ??= reason;
      stopped = true;
    }
    return stopped;
  };
  const agents: Agent[] = [];
  const client = async (index: number, keepAlive: boolean): Promise<void> => {
    const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : undefined;
    if (agent) agents.push(agent);
    for (let i = index; !shouldStop(); i++) {
      const target = o.targets[i % o.targets.length];
      stats.total++;
      if (keepAlive) stats.keepAlive++;
      else stats.newConnection++;
      try {
        const r = await get(o.port, target.host, agent);
        if (r.status === 200 && target.accept(r.body)) {
          stats.ok++;
          stats.perHost.set(target.host, (stats.perHost.get(target.host) ?? 0) + 1);
        } else fail(`${target.host} (${keepAlive ? 'keep-alive' : 'new connection'}): ${r.status} ${r.body.slice(0, 80)}`);
      } catch (e) {
        fail(`${target.host} (${keepAlive ? 'keep-alive' : 'new connection'}): ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  };
  const fail = (msg: string): void => {
    stats.failed++;
    if (stats.errors.length < 20) stats.errors.push(`${msg} (at ${new Date().toISOString()})`);
  };
  const clients = [
    ...Array.from({ length: o.keepAliveClients }, (_, i) => client(i, true)),
    ...Array.from({ length: o.newConnectionClients }, (_, i) => client(i, false)),
  ];
  const done = Promise.all(clients).then(() => {
    for (const a of agents) a.destroy();
    stats.durationMs = Date.now() - started;
    return stats;
  });
  return {
    stats,
    done,
    stop: () => {
      stats.endedBy ??= 'stop';
      stopped = true;
    },
  };
}

interface Reply {
  readonly status: number;
  readonly body: string;
}

/** GET / with a Host header; errors say whether the request went out on a reused connection. */
function get(port: number, host: string, agent: Agent | undefined): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: agent ?? false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', (e) => reject(new Error(`${e.message}${req.reusedSocket ? ' (on a reused connection)' : ' (on a new connection)'}`)));
    req.end();
  });
}
