/** Parsers for the HAProxy 2.6 CLI replies keyplate reads back (`show proc`, `show servers state`, `show map`). */

export interface ProcInfo {
  readonly masterPid: number;
  /** The master's reload counter (grows on every reload, failed or not). */
  readonly reloads: number;
  /** Failed reloads since the last successful one (`[failed: N]`). */
  readonly failed: number;
  /** Current workers (new generation). */
  readonly workers: readonly number[];
  /** Old workers still draining connections. */
  readonly oldWorkers: readonly number[];
}

/** Parse `show proc` from the master CLI. Returns undefined if the reply has no master line. */
export function parseShowProc(text: string): ProcInfo | undefined {
  let section: 'master' | 'workers' | 'old' | 'other' = 'master';
  let master: { pid: number; reloads: number; failed: number } | undefined;
  const workers: number[] = [];
  const oldWorkers: number[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      if (line === '# workers') section = 'workers';
      else if (line === '# old workers') section = 'old';
      else if (!line.startsWith('#<PID>')) section = 'other';
      continue;
    }
    const f = line.split(/\s+/);
    const pid = Number(f[0]);
    if (!Number.isInteger(pid)) continue;
    if (section === 'master' && f[1] === 'master') {
      const failed = /\[failed:\s*(\d+)\]/.exec(line);
      master = { pid, reloads: Number(f[2]), failed: failed ? Number(failed[1]) : 0 };
    } else if (section === 'workers' && f[1] === 'worker') workers.push(pid);
    else if (section === 'old' && f[1] === 'worker') oldWorkers.push(pid);
  }
  if (!master) return undefined;
  return { masterPid: master.pid, reloads: master.reloads, failed: master.failed, workers, oldWorkers };
}

export interface ServerState {
  readonly backend: string;
  readonly id: number;
  readonly name: string;
  readonly addr: string;
  readonly port: number;
  readonly opState: number;
  /** Bit field; bit 0x01 = forced maintenance (`state maint`), 0x08 = drain. */
  readonly adminState: number;
  /** Current user weight. */
  readonly weight: number;
}

/** Parse `show servers state [<backend>]`. */
export function parseServersState(text: string): ServerState[] {
  const out: ServerState[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const f = line.split(/\s+/);
    if (f.length < 19) continue;
    out.push({
      backend: f[1],
      id: Number(f[2]),
      name: f[3],
      addr: f[4],
      opState: Number(f[5]),
      adminState: Number(f[6]),
      weight: Number(f[7]),
      port: Number(f[18]),
    });
  }
  return out;
}

export const ADMIN_FORCED_MAINT = 0x01;

/** Parse `show map <file>`: `0x<ref> <key> <value...>` per line, in list order. */
export function parseShowMap(text: string): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [];
  for (const line of text.split('\n')) {
    const m = /^0x[0-9a-f]+ (\S+)(?: (.*))?$/i.exec(line.replace(/\r$/, ''));
    if (m) out.push([m[1], m[2] ?? '']);
  }
  return out;
}
