/** A real nats-server 2.9 with JetStream (Debian's `nats-server`) on a free loopback port, its store in a temp dir (kept across restarts). */
import type { TestContext } from 'node:test';
import { startServer, tcpAsk, type TestServer } from './server.ts';
import { waitFor } from './wait.ts';

export const NATS_BIN = '/usr/sbin/nats-server';

export interface NatsServer extends TestServer {
  /** `127.0.0.1:<port>` */
  readonly server: string;
}

export async function startNats(t: Pick<TestContext, 'after'>): Promise<NatsServer> {
  const s = await startServer(t, {
    label: 'nats',
    ports: 2,
    command: ([port, monitor], dir) => ({
      bin: NATS_BIN,
      args: ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-js', '-sd', `${dir}/js`, '-n', 'keyplate-test'],
    }),
    // /healthz answers ok once JetStream has recovered its store, not just when the port is open
    ready: async ([port, monitor]) =>
      (await tcpAsk(port, '')).startsWith('INFO ') &&
      (await fetch(`http://127.0.0.1:${monitor}/healthz`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false)),
  });
  return { ...s, server: `127.0.0.1:${s.ports[0]}` };
}

/** A writer on `bucket` (created when missing, keeping 64 revisions per key), reconnecting per batch after a restart. */
export function natsWriter(t: Pick<TestContext, 'after'>, server: string, bucket: string) {
  let open: Promise<{ nc: import('@nats-io/transport-node').NatsConnection; kv: import('@nats-io/kv').KV }> | undefined;
  t.after(async () => (await open?.catch(() => undefined))?.nc.close());
  const conn = async () => {
    const cur = await open?.catch(() => undefined);
    if (cur && !cur.nc.isClosed()) return cur;
    open = (async () => {
      const [{ connect }, { Kvm }] = await Promise.all([import('@nats-io/transport-node'), import('@nats-io/kv')]);
      const nc = await connect({ servers: [server], maxReconnectAttempts: -1, reconnectTimeWait: 100 });
      return { nc, kv: await new Kvm(nc).create(bucket, { history: 64 }) };
    })();
    return open;
  };
  return async (ops: ReadonlyArray<{ key: string; value?: string }>) => {
    const { kv } = await conn();
    for (const op of ops) {
      // just after a restart the client may still be reconnecting: retry a timed-out write
      await waitFor(() => (op.value === undefined ? kv.delete(op.key) : kv.put(op.key, op.value)).then(() => true), {
        timeoutMs: 20_000,
        message: `nats write of ${op.key}`,
      });
    }
  };
}
