/**
 * The one daemon harness of the end-to-end tests: the REAL `keyplate run` as a child process
 * (`node --import tsx src/bin.ts run ... --log-format json`, or any other command such as the
 * image's entrypoint) in its own process group. Its JSON log lines (stderr and stdout) are parsed
 * into structured lines, and tests wait on their stable `event` field (docs/status.md, "Log
 * events"), never on message text. The status listener's URL comes from its `status-listening`
 * event (port 0, no fixed port). Every daemon is stopped when the test ends: SIGTERM, SIGKILL after
 * a deadline, then SIGKILL to whatever is left in its process group and to
 * any HAProxy it named in its log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseLogLine } from './log-line.ts';
import { alive, isHaproxy } from './procs.ts';
import { parsePrometheus, type Samples } from './prometheus.ts';
import { waitFor } from './wait.ts';

type After = Pick<TestContext, 'after'>;

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** One parsed JSON log line: pino's `level`, `time`, `msg`, plus `event` and its fields. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number; time?: string; event?: string };

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface DaemonOptions {
  /** `-c <config>` of `keyplate run`. */
  readonly config?: string;
  /** More arguments after `run [-c <config>] --log-format json` (e.g. `--onetime`). */
  readonly args?: readonly string[];
  /** `--listen 127.0.0.1:0` (default: true unless `--onetime` or `command` is given). */
  readonly listen?: boolean;
  /** Run this argv instead of `node --import tsx src/bin.ts run ...` (e.g. the built image's entrypoint). */
  readonly command?: readonly string[];
  /** The whole environment besides PATH (nothing of the test runner's leaks in). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** How long the cleanup waits after SIGTERM before SIGKILL (default 15 s). */
  readonly stopTimeoutMs?: number;
}

export interface WaitOptions {
  /** Search from this index of `logs` on (take it with `mark()` before the action). */
  readonly from?: number;
  readonly timeoutMs?: number;
  readonly message?: string;
}

export type Fields = Readonly<Record<string, unknown>>;

/** Does `line` carry every field of `want` (by equality) or satisfy `want` (a predicate)? */
function matches(line: LogLine, want: Fields | ((l: LogLine) => boolean) | undefined): boolean {
  if (want === undefined) return true;
  if (typeof want === 'function') return want(line);
  return Object.entries(want).every(([k, v]) => line[k] === v);
}

export class Daemon {
  readonly logs: LogLine[] = [];
  /** Lines of stderr that were not JSON (e.g. the --onetime summary). */
  readonly raw: string[] = [];
  /** Every stdout line. */
  readonly stdout: string[] = [];
  /** Resolves once the process exited and its output was read to the end. */
  readonly exit: Promise<Exit>;
  exited = false;

  constructor(readonly child: ChildProcess) {
    this.exit = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        this.exited = true;
        resolve({ code, signal });
      }),
    );
    createInterface({ input: child.stderr! }).on('line', (line) => {
      const l = parse(line);
      if (l) this.logs.push(l);
      else this.raw.push(line);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.stdout.push(line);
      const l = parse(line);
      if (l) this.logs.push(l);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The index the next line will have: pass it as `from` to see only what follows an action. */
  mark(): number {
    return this.logs.length;
  }

  /** Lines with `event` (from index `from` on), optionally with these fields. */
  events(event: string, from = 0, fields?: Fields | ((l: LogLine) => boolean)): LogLine[] {
    return this.logs.slice(from).filter((l) => l.event === event && matches(l, fields));
  }

  /** The first line with `event` (and these fields) from `opts.from` on; fails early when the daemon exits. */
  waitEvent(event: string, opts: WaitOptions & { fields?: Fields | ((l: LogLine) => boolean) } = {}): Promise<LogLine> {
    const fields = opts.fields;
    const what = opts.message ?? `event "${event}"${fields && typeof fields !== 'function' ? ` ${JSON.stringify(fields)}` : ''}`;
    return this.waitLog((l) => l.event === event && matches(l, fields), { ...opts, message: what });
  }

  /** The first line from `opts.from` on satisfying `pred` (on structured fields, not message text); fails as soon as the daemon exits without it. */
  async waitLog(pred: (l: LogLine) => boolean, opts: WaitOptions = {}): Promise<LogLine> {
    const what = opts.message ?? 'a log line';
    const found = await waitFor(
      () => {
        const hit = this.logs.slice(opts.from ?? 0).find(pred);
        // `exited` is set once stdout and stderr were read to the end: no line can come later
        return hit ? { hit } : this.exited ? { hit: undefined } : undefined;
      },
      { timeoutMs: opts.timeoutMs ?? 20_000, message: what },
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${this.dump(opts.from)}`, { cause: e });
    });
    if (found.hit) return found.hit;
    const exit = await this.exit;
    throw new Error(`keyplate exited (code ${exit.code}, signal ${exit.signal}) while waiting for ${what}:\n${this.dump(opts.from)}`);
  }

  /** The status listener's base URL. */
  async url(): Promise<string> {
    return String((await this.waitEvent('status-listening', { message: 'the status listener' })).url);
  }

  async metrics(): Promise<Samples> {
    const res = await fetch(`${await this.url()}/metrics`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`/metrics: HTTP ${res.status}`);
    return parsePrometheus(await res.text());
  }

  async healthz(): Promise<{ status: number; body: { ok: boolean; resources: Array<{ resource: string; ok: boolean; reason?: string }> } }> {
    const res = await fetch(`${await this.url()}/healthz`, { signal: AbortSignal.timeout(5_000) });
    return { status: res.status, body: (await res.json()) as never };
  }

  /** Send `sig` to the daemon itself (not its group). */
  signal(sig: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(sig);
  }

  /** SIGTERM, then SIGKILL to the group after `timeoutMs`; the exit. */
  async stop(timeoutMs = 20_000): Promise<Exit> {
    this.signal('SIGTERM');
    const done = await Promise.race([this.exit.then(() => true), new Promise<false>((r) => setTimeout(r, timeoutMs, false).unref())]);
    if (!done) await this.killLeftovers();
    return this.exit;
  }

  /** Every HAProxy pid the log named (started, reloaded, restarted, its output). */
  haproxyPids(): number[] {
    const out = new Set<number>();
    for (const l of this.logs) {
      for (const k of ['masterPid', 'workerPid', 'newWorkerPid']) if (typeof l[k] === 'number') out.add(l[k] as number);
      if (Array.isArray(l.oldWorkerPids)) for (const p of l.oldWorkerPids) out.add(Number(p));
      if (typeof l.haproxy === 'string') for (const m of l.haproxy.matchAll(/\((\d+)\)/g)) out.add(Number(m[1]));
    }
    return [...out];
  }

  /** SIGKILL to whatever is left: the daemon's process group, and HAProxy (its own group) by pid. */
  async killLeftovers(): Promise<void> {
    const kill = (pid: number) => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    };
    kill(-this.pid);
    for (const pid of this.haproxyPids()) if ((await alive(pid)) && (await isHaproxy(pid))) kill(pid);
  }

  /** The lines from `from` on (negative: the last ones) and the raw stderr, for assertion messages. */
  dump(from = 0): string {
    return [...this.logs.slice(from).map((l) => JSON.stringify(l)), ...this.raw].join('\n').slice(-6_000);
  }
}

function parse(line: string): LogLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    // keyplate writes `"level":"info"`; tests compare pino's numbers
    const v: unknown = parseLogLine(line);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as LogLine) : undefined;
  } catch {
    return undefined;
  }
}

/** Start keyplate (or `opts.command`) in its own process group; stopped when the test ends. */
export function startDaemon(t: After, opts: DaemonOptions = {}): Daemon {
  const extra = opts.args ?? [];
  let argv: readonly string[];
  if (opts.command) argv = opts.command;
  else {
    const listen = opts.listen ?? !extra.includes('--onetime');
    argv = [
      process.execPath, '--import', TSX, join(REPO, 'src', 'bin.ts'), 'run',
      ...(opts.config !== undefined ? ['-c', opts.config] : []),
      '--log-format', 'json',
      ...(listen ? ['--listen', '127.0.0.1:0'] : []),
      ...extra,
    ];
  }
  const child = spawn(argv[0], argv.slice(1), {
    cwd: opts.cwd ?? REPO,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const d = new Daemon(child);
  t.after(async () => {
    if (!d.exited) await d.stop(opts.stopTimeoutMs ?? 15_000);
    await d.killLeftovers();
  });
  return d;
}
