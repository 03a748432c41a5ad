/**
 * Connections to Redis (the official `@redis/client`, loaded on first use): the first node of
 * `nodes` that accepts a connection, with TLS files read relative to the config directory, ACL
 * user or password, database. A connection does not reconnect on its own: the backend opens a new
 * one on the next read, the watch on its next attempt, so each failure is seen and reported.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { BackendError, errorMessage } from '../../errors.ts';
import type { RedisOptions } from './options.ts';

/** What the backend needs of a connection. */
export interface RedisConnection {
  command(args: readonly string[]): Promise<unknown>;
  pSubscribe(patterns: readonly string[], listener: (message: string, channel: string) => void): Promise<void>;
  /** Resolves when the connection is lost or closed (with the error, if any). */
  readonly ended: Promise<Error | undefined>;
  readonly open: boolean;
  close(): Promise<void>;
}

export async function connectRedis(name: string, o: RedisOptions, baseDir: string, logger: Logger): Promise<RedisConnection> {
  const { createClient } = await import('@redis/client');
  const tls = o.tls ? await tlsFiles(name, o, baseDir) : undefined;
  let last: unknown;
  for (const node of o.nodes) {
    const i = node.lastIndexOf(':');
    const [host, port] = i > 0 ? [node.slice(0, i), Number(node.slice(i + 1))] : [node, 6379];
    const socket = { host, port, connectTimeout: o.requestTimeoutMs, reconnectStrategy: false as const };
    const client = createClient({
      socket: tls ? { ...socket, tls: true as const, ...tls } : socket,
      username: o.username,
      password: o.password,
      database: o.database,
      disableOfflineQueue: true,
    });
    let endWith: (e: Error | undefined) => void = () => {};
    const ended = new Promise<Error | undefined>((r) => (endWith = r));
    // Without reconnects, a connection error ends the connection ('end' alone is not always sent).
    client.on('error', (e: Error) => {
      logger.debug({ node, err: errorMessage(e) }, 'redis connection error');
      endWith(e);
    });
    client.on('end', () => endWith(undefined));
    try {
      await client.connect();
    } catch (e) {
      last = e;
      client.destroy();
      continue;
    }
    return {
      command: (args) => client.sendCommand([...args]),
      pSubscribe: (patterns, listener) => client.pSubscribe([...patterns], listener),
      ended,
      get open() {
        return client.isReady;
      },
      async close() {
        if (client.isOpen) await client.close().catch(() => client.destroy());
      },
    };
  }
  throw new BackendError(name, `redis: cannot connect to ${o.nodes.join(', ')}: ${errorMessage(last)}`, { cause: last });
}

async function tlsFiles(name: string, o: RedisOptions, baseDir: string) {
  const read = async (label: string, file: string | undefined) => {
    if (file === undefined) return undefined;
    const path = resolve(baseDir, file);
    try {
      return await readFile(path);
    } catch (e) {
      throw new BackendError(name, `redis: cannot read ${label} file ${path}: ${errorMessage(e)}`, { cause: e, retryable: false });
    }
  };
  return { ca: await read('client_ca_keys', o.clientCaKeys), cert: await read('client_cert', o.clientCert), key: await read('client_key', o.clientKey) };
}
