/**
 * The production end-to-end harness: the REAL `keyplate run` as a child process
 * (`node --import tsx src/bin.ts run -c <config> --listen 127.0.0.1:0 --log-format json`), its JSON
 * log lines kept for assertions, the status listener's URL read from its own log line (port 0, no
 * fixed port), and helpers to scrape /metrics and /healthz. Every child is stopped in t.after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/wait.ts';

type After = Pick<TestContext, 'after'>;

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TSX = import.meta.resolve('tsx');

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface DaemonOptions {
  /** Extra arguments after `run -c <config>` (e.g. `--onetime`). */
  readonly args?: readonly string[];
  /** Start the status listener on 127.0.0.1:0 (default true; not with --onetime). */
  readonly listen?: boolean;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class Daemon {
  readonly logs: LogLine[] = [];
  /** Raw stderr lines that were not JSON (e.g. the --onetime summary). */
  readonly raw: string[] = [];
  readonly stdout: string[] = [];
  readonly exit: Promise<Exit>;
  exited = false;

  constructor(readonly child: ChildProcess) {
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exited = true;
        resolve({ code, signal });
      }),
    );
    createInterface({ input: child.stderr! }).on('line', (line) => {
      try {
        this.logs.push(JSON.parse(line) as LogLine);
      } catch {
        this.raw.push(line);
      }
    });
    createInterface({ input: child.stdout! }).on('line', (line) => this.stdout.push(line));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The first line from index `from` on matching `pred`. */
  waitLog(pred: (l: LogLine) => boolean, opts: { from?: number; timeoutMs?: number; message?: string } = {}): Promise<LogLine> {
    return waitFor(
      () => {
        const hit = this.logs.slice(opts.from ?? 0).find(pred);
        if (!hit && this.exited) throw new Error(`keyplate exited while waiting for ${opts.message ?? 'a log line'}:\n${this.dump()}`);
        return hit;
      },
      { timeoutMs: opts.timeoutMs ?? 20_000, message: `${opts.message ?? 'a log line'}\n${this.dump()}` },
    );
  }

  /** The status listener's base URL (from its "status listener started" line). */
  async url(): Promise<string> {
    const l = await this.waitLog((x) => x.msg === 'status listener started', { message: 'the status listener' });
    return String(l.url);
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

  signal(sig: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(sig);
  }

  /** The last log lines, for assertion messages. */
  dump(from = 0): string {
    return [...this.logs.slice(from).map((l) => JSON.stringify(l)), ...this.raw].join('\n').slice(-5_000);
  }
}

/** Start `keyplate run -c <config>`; SIGTERM (then SIGKILL) in t.after if it is still running. */
export function startDaemon(t: After, config: string, opts: DaemonOptions = {}): Daemon {
  const listen = opts.listen ?? !(opts.args ?? []).includes('--onetime');
  const args = ['--import', TSX, join(REPO, 'src', 'bin.ts'), 'run', '-c', config, '--log-format', 'json'];
  if (listen) args.push('--listen', '127.0.0.1:0');
  args.push(...(opts.args ?? []));
  const child = spawn(process.execPath, args, {
    cwd: opts.cwd ?? REPO,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const d = new Daemon(child);
  t.after(async () => {
    if (d.exited) return;
    child.kill('SIGTERM');
    const done = await Promise.race([d.exit.then(() => true), new Promise<false>((r) => setTimeout(r, 10_000, false).unref())]);
    if (!done) child.kill('SIGKILL');
  });
  return d;
}

/** One sample of the Prometheus text format: name, labels, value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Samples {
  readonly samples: readonly Sample[];
  /** `# TYPE` of each metric family. */
  readonly types: ReadonlyMap<string, string>;
  /** Sum of the samples named `name` whose labels include `labels`. */
  value(name: string, labels?: Readonly<Record<string, string>>): number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,\s*|$)/y;

/** Strict parser of the Prometheus text exposition format 0.0.4: throws on any malformed line. */
export function parsePrometheus(text: string): Samples {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
      if (!m) throw new Error(`metrics line ${i + 1}: bad comment: ${line}`);
      if (m[1] === 'TYPE') {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(m[3])) throw new Error(`metrics line ${i + 1}: bad type: ${line}`);
        types.set(m[2], m[3]);
      }
      return;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`metrics line ${i + 1}: not a sample: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < m[2].length) {
        const at = LABEL.lastIndex;
        const l = LABEL.exec(m[2]);
        if (!l || LABEL.lastIndex === at) throw new Error(`metrics line ${i + 1}: bad labels: ${line}`);
        labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      }
    }
    // Go's ParseFloat (Prometheus) takes NaN in any case; prom-client writes "Nan"
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : /^nan$/i.test(m[3]) ? NaN : Number(m[3]);
    if (Number.isNaN(value) && !/^nan$/i.test(m[3])) throw new Error(`metrics line ${i + 1}: bad value: ${line}`);
    samples.push({ name: m[1], labels, value });
  });
  return {
    samples,
    types,
    value: (name, want = {}) =>
      samples.filter((s) => s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0),
  };
}

/** Every pid whose parent is `pid`, recursively (from /proc), for "nothing left running" checks. */
export async function descendants(pid: number): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const parents = new Map<number, number[]>();
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = await readFile(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(e)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of parents.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** Is `pid` a live (non-zombie) process? */
export async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** The command line of `pid` ('' when gone). */
export async function cmdline(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}
