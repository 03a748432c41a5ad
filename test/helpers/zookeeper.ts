/**
 * A real ZooKeeper 3.8 for tests (Debian's `zookeeper` package, run with java as
 * ZooKeeperServerMain, not the system service): a generated zoo.cfg in a temp dir, a free loopback
 * client port, the admin server off, its data kept across a stop and start. Also a writer with
 * registrator's habits (parents created empty, emptied parents removed) and a way to expire a
 * session from outside, as a server does when a client stays away too long.
 */
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { TestContext } from 'node:test';
import zk, { type Client } from 'node-zookeeper-client';
import { guardHandshake } from '../../src/backends/zookeeper/client.ts';
import { startServer, tcpAsk, type TestServer } from './server.ts';
import { waitFor } from './wait.ts';

export const JAVA_BIN = '/usr/bin/java';
export const ZOOKEEPER_CLASSPATH = '/usr/share/java/zookeeper.jar';

export interface ZooKeeperServer extends TestServer {
  /** `127.0.0.1:<port>` */
  readonly node: string;
}

export async function startZooKeeper(t: Pick<TestContext, 'after'>): Promise<ZooKeeperServer> {
  const s = await startServer(t, {
    label: 'zookeeper',
    ports: 1,
    startTimeoutMs: 90_000,
    command: ([port], dir) => {
      const cfg = `${dir}/zoo.cfg`;
      writeFileSync(
        cfg,
        [
          'tickTime=500', // sessions of 1 to 10 s
          `dataDir=${dir}/data`,
          `clientPort=${port}`,
          'clientPortAddress=127.0.0.1',
          'admin.enableServer=false',
          '4lw.commands.whitelist=srvr',
          'maxClientCnxns=0',
          'autopurge.purgeInterval=0',
        ].join('\n') + '\n',
      );
      return {
        bin: JAVA_BIN,
        args: [
          '-Xmx192m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xshare:auto',
          '-Dzookeeper.admin.enableServer=false', '-Dzookeeper.jmx.log4j.disable=true',
          '-cp', ZOOKEEPER_CLASSPATH, 'org.apache.zookeeper.server.ZooKeeperServerMain', cfg,
        ],
      };
    },
    // `srvr` answers "Zookeeper version: …" once the server serves requests
    ready: async ([port]) => (await tcpAsk(port, 'srvr')).startsWith('Zookeeper version'),
  });
  return { ...s, node: `127.0.0.1:${s.ports[0]}` };
}

const call = <T>(run: (cb: (e: unknown, r?: T) => void) => void): Promise<T | undefined> =>
  new Promise((resolve, reject) => run((e, r) => (e == null ? resolve(r) : reject(e))));
const code = (e: unknown) => (e as { code?: number }).code;

/** A writer for seeding and mutating (`/a/b = v` as znodes), its session reopened after expiry. */
export function zkWriter(t: Pick<TestContext, 'after'>, connection: string, auth?: { username: string; password: string; acl?: boolean }) {
  let client: Client | undefined;
  let unguard = () => {};
  t.after(() => {
    unguard();
    client?.close();
  });
  const ready = async (): Promise<Client> => {
    if (!client || client.getState() === zk.State.EXPIRED) {
      unguard();
      client?.close();
      client = zk.createClient(connection, { sessionTimeout: 10_000, spinDelay: 100 });
      unguard = guardHandshake(client);
      if (auth) client.addAuthInfo('digest', Buffer.from(`${auth.username}:${auth.password}`));
      client.connect();
    }
    const c = client;
    await waitFor(() => c.getState() === zk.State.SYNC_CONNECTED, { timeoutMs: 30_000, message: 'the zookeeper writer to connect' });
    return c;
  };
  const acl = () => (auth?.acl ? [new zk.ACL(zk.Permission.ALL, new zk.Id('auth', ''))] : [new zk.ACL(zk.Permission.ALL, new zk.Id('world', 'anyone'))]);
  const put = async (c: Client, key: string, value: string) => {
    const parent = key.slice(0, key.lastIndexOf('/'));
    if (parent !== '') await call((cb) => c.mkdirp(parent, Buffer.alloc(0), acl(), zk.CreateMode.PERSISTENT, cb));
    try {
      await call((cb) => c.create(key, Buffer.from(value), acl(), zk.CreateMode.PERSISTENT, cb));
    } catch (e) {
      if (code(e) !== zk.Exception.NODE_EXISTS) throw e;
      await call((cb) => c.setData(key, Buffer.from(value), cb));
    }
  };
  const remove = async (c: Client, key: string) => {
    try {
      await call((cb) => c.remove(key, cb));
    } catch (e) {
      if (code(e) !== zk.Exception.NO_NODE) throw e;
    }
    // registrator removes a service's node once its last instance is gone: an emptied parent goes too
    for (let p = key.slice(0, key.lastIndexOf('/')); p !== ''; p = p.slice(0, p.lastIndexOf('/'))) {
      const children = await call<string[]>((cb) => c.getChildren(p, cb)).catch(() => undefined);
      if (children === undefined || children.length > 0) break;
      const data = await call<Buffer>((cb) => c.getData(p, cb)).catch(() => undefined);
      if (data !== undefined && data !== null && data.length > 0) break;
      await call((cb) => c.remove(p, cb)).catch(() => {});
    }
  };
  return async (ops: ReadonlyArray<{ key: string; value?: string }>) => {
    for (const op of ops) {
      // just after a restart the client may still be reconnecting: retry (puts and deletes are idempotent)
      await waitFor(
        async () => {
          const c = await ready();
          await (op.value === undefined ? remove(c, op.key) : put(c, op.key, op.value));
          return true;
        },
        { timeoutMs: 30_000, message: `zookeeper write of ${op.key}` },
      );
    }
  };
}

/**
 * End a session from outside, as the server does when it expires: connect with its id and password
 * (jute ConnectRequest), then send closeSession. The session's own client then sees EXPIRED.
 */
export async function expireSession(port: number, id: Buffer, password: Buffer): Promise<void> {
  const int = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  const frame = (body: Buffer) => Buffer.concat([int(body.length), body]);
  const s = connect({ host: '127.0.0.1', port });
  const closed = new Promise<void>((resolve) => {
    s.once('close', () => resolve());
    s.once('error', () => resolve());
    setTimeout(resolve, 3_000).unref();
  });
  // protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly; then, pipelined (the
  // session's own client must not reconnect in between), RequestHeader xid 1, type closeSession
  const connectRequest = Buffer.concat([int(0), Buffer.alloc(8), int(10_000), id, int(password.length), password, Buffer.from([0])]);
  s.write(Buffer.concat([frame(connectRequest), frame(Buffer.concat([int(1), int(-11)]))]));
  await closed;
  s.destroy();
}
