/** A real redis-server 7 for tests (Debian's `redis-server`): free loopback port, temp dir, AOF so a restart keeps the data. */
import { createClient } from '@redis/client';
import type { TestContext } from 'node:test';
import { startServer, tcpAsk, type TestServer } from './server.ts';

export const REDIS_BIN = '/usr/bin/redis-server';

export interface RedisServer extends TestServer {
  readonly port: number;
  /** `127.0.0.1:<port>` */
  readonly node: string;
}

export async function startRedis(t: Pick<TestContext, 'after'>, opts: { notify?: string; extra?: readonly string[] } = {}): Promise<RedisServer> {
  const server = await startServer(t, {
    label: 'redis',
    ports: 1,
    command: ([port], dir) => ({
      bin: REDIS_BIN,
      args: [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always',
        '--notify-keyspace-events', opts.notify ?? 'KA', '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning',
        ...(opts.extra ?? []),
      ],
    }),
    ready: async ([port]) => (await tcpAsk(port, 'PING\r\n')).startsWith('+PONG'),
  });
  return { ...server, port: server.ports[0], node: `127.0.0.1:${server.ports[0]}` };
}

/** A writer for seeding and mutating: each batch on a live connection (reopened after a restart). */
/** `node` is `[user:pass@]host:port[/db]`. */
export function redisWriter(t: Pick<TestContext, 'after'>, node: string): (cmds: string[][]) => Promise<void> {
  let client: ReturnType<typeof createClient> | undefined;
  t.after(() => client?.destroy());
  return async (cmds) => {
    if (!client?.isReady) {
      client?.destroy();
      client = createClient({ url: `redis://${node}`, socket: { reconnectStrategy: false } });
      client.on('error', () => {});
      await client.connect();
    }
    for (const c of cmds) await client.sendCommand(c);
  };
}
