/**
 * A TCP proxy on a free loopback port for tests that need a connection to go silently dead:
 * `freeze()` stops forwarding on every connection open at that moment, in both directions,
 * without closing anything (as a NAT that dropped its state, or a hung peer, would). New
 * connections are forwarded normally. `down()` closes every connection and refuses new ones
 * until `up()` (the server is unreachable meanwhile). Closed when the test ends.
 */
import { createConnection, createServer, type Socket } from 'node:net';
import type { TestContext } from 'node:test';

export interface TcpProxy {
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** Connections accepted so far. */
  connections(): number;
  /** Silence every connection open now; they stay open and swallow whatever is sent. */
  freeze(): void;
  /** Close every connection and close each new one at once, until `up()`. */
  down(): void;
  up(): void;
}

export async function startTcpProxy(t: Pick<TestContext, 'after'>, target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const sockets = new Set<Socket>();
  let accepted = 0;
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = createConnection(target);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      pairs.delete(pair);
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    connections: () => accepted,
    freeze() {
      for (const [a, b] of pairs) {
        a.unpipe(b);
        b.unpipe(a);
        // keep reading and discard, so neither side sees back-pressure or a close
        a.on('data', () => undefined);
        b.on('data', () => undefined);
      }
      pairs.clear();
    },
    down() {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    up() {
      refusing = false;
    },
  };
}
