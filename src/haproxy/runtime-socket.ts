/**
 * One-shot client for HAProxy's CLI sockets (the master socket given with `-S`, and the
 * `stats socket ... level admin`). Each call opens a connection, writes the command, half-closes
 * (HAProxy only answers after the client's FIN in non-interactive mode) and reads until EOF.
 */
import { createConnection } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { HaproxySocketError } from './errors.ts';
import { systemClock, type Clock } from '../schedule/schedule.ts';

export interface CliOptions {
  /** Time source for the retry deadline (default: the system clock). */
  readonly clock?: Clock;
  /** Give up after this long (default 5000 ms). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Send one command (or a `<<` payload) and return the raw reply. */
export function cliCommand(socketPath: string, command: string, opts: CliOptions = {}): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  return new Promise<string>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new HaproxySocketError(socketPath, 'aborted', { cause: opts.signal.reason, errno: 'ABORT_ERR' }));
      return;
    }
    const chunks: Buffer[] = [];
    const sock = createConnection({ path: socketPath });
    const fail = (err: HaproxySocketError): void => {
      cleanup();
      sock.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(new HaproxySocketError(socketPath, 'aborted', { cause: opts.signal?.reason, errno: 'ABORT_ERR' }));
    const timer = setTimeout(
      () => fail(new HaproxySocketError(socketPath, `no answer to "${firstLine(command)}" within ${timeoutMs} ms`, { errno: 'ETIMEDOUT' })),
      timeoutMs,
    );
    timer.unref();
    const cleanup = (): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    sock.on('connect', () => {
      sock.write(command.endsWith('\n') ? command : `${command}\n`);
      sock.end();
    });
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('end', () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? 'EIO';
      fail(new HaproxySocketError(socketPath, `"${firstLine(command)}": ${code}`, { cause: e, errno: code }));
    });
  });
}

/** Errors that are normal while the master re-executes itself during a reload. */
export function isTransientSocketError(e: unknown): boolean {
  return e instanceof HaproxySocketError && ['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE'].includes(e.errno ?? '');
}

/** Like cliCommand, retrying transient errors (socket reopening) until `deadlineMs` elapses. */
export async function cliCommandRetry(
  socketPath: string,
  command: string,
  opts: CliOptions & { readonly retryForMs: number },
): Promise<string> {
  const clock = opts.clock ?? systemClock;
  const deadline = clock.now() + opts.retryForMs;
  let wait = 10;
  for (;;) {
    try {
      return await cliCommand(socketPath, command, opts);
    } catch (e) {
      if (!isTransientSocketError(e) || clock.now() + wait > deadline) throw e;
      await delay(wait, undefined, { signal: opts.signal });
      wait = Math.min(wait * 2, 200);
    }
  }
}

/** Escape one CLI argument: HAProxy splits on blanks and `;`, and `\` escapes the next character. */
export function cliArg(value: string): string {
  if (/[\r\n\0]/.test(value)) throw new RangeError(`[haproxy] CLI argument contains a line break or NUL: ${JSON.stringify(value)}`);
  return value.replace(/[\\\s;]/g, (c) => `\\${c}`);
}

function firstLine(s: string): string {
  const l = s.split('\n', 1)[0] ?? '';
  return l.length > 120 ? `${l.slice(0, 117)}...` : l;
}
