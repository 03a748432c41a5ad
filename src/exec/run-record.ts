/**
 * Records of running commands, so a keyplate killed with SIGKILL (or a power cut of its container)
 * does not leave a `check_cmd` running forever: its process group outlives keyplate. While such a
 * command runs, a small JSON file names it: a random token placed in the command's environment
 * (`KEYPLATE_RUN=<token>`, inherited by everything it starts), its process group with the leader's
 * start time, and the keyplate that ran it (pid and start time). The next keyplate reaps a record
 * whose owner is gone: it ends every process that still carries the token, or that is in the
 * recorded group while the recorded leader (same pid AND same start time) still leads it, and
 * removes the file. A reused pid never matches: its start time differs and it lacks the token.
 */
import { randomBytes } from 'node:crypto';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { hasEnvEntry, listPids, procStat, sameProcessRunning } from './procfs.ts';

/** The environment variable carrying a recorded run's token. */
export const RUN_ENV = 'KEYPLATE_RUN';

interface Proc {
  readonly pid: number;
  readonly start: number;
}

export interface RunRecord {
  readonly token: string;
  /** The keyplate that ran the command. */
  readonly owner: Proc;
  /** The command's process group: its leader's pid (= the pgid) and start time, once spawned. */
  readonly group?: Proc;
}

/** A record being kept for one run: the env entry to give the command, then its pid, then done. */
export interface RecordedRun {
  readonly env: Readonly<Record<string, string>>;
  spawned(pid: number | undefined): Promise<void>;
  /** Remove the record (never throws). */
  done(): Promise<void>;
}

async function self(): Promise<Proc> {
  return { pid: process.pid, start: (await procStat(process.pid))?.start ?? -1 };
}

/** Write the record before the command starts (so no window leaves an unrecorded command). Throws when it cannot be written. */
export async function startRecord(path: string): Promise<RecordedRun> {
  const base: RunRecord = { token: randomBytes(16).toString('hex'), owner: await self() };
  await writeFile(path, JSON.stringify(base), { mode: 0o600 });
  return {
    env: { [RUN_ENV]: base.token },
    async spawned(pid) {
      const start = pid === undefined ? undefined : (await procStat(pid))?.start;
      if (pid === undefined || start === undefined) return; // gone already: the token still names it
      await writeFile(path, JSON.stringify({ ...base, group: { pid, start } }), { mode: 0o600 }).catch(() => undefined);
    },
    async done() {
      await unlink(path).catch(() => undefined);
    },
  };
}

export type ReapOutcome =
  /** Nothing recorded. */
  | { readonly kind: 'none' }
  /** The keyplate that wrote it still runs: left alone. */
  | { readonly kind: 'owner-alive'; readonly owner: number }
  /** Recorded, owner gone; `killed` lists the processes ended (maybe none: the command had finished). */
  | { readonly kind: 'reaped'; readonly killed: readonly number[]; readonly pgid?: number }
  /** No /proc to verify anything against: removed without killing. */
  | { readonly kind: 'unverifiable' };

/** The processes of a record still running (zombies excluded); undefined without /proc. */
async function recordedProcesses(rec: RunRecord): Promise<Proc[] | undefined> {
  const pids = await listPids();
  if (pids === undefined) return undefined;
  const leaderOurs = rec.group !== undefined && (await sameProcessRunning(rec.group.pid, rec.group.start));
  const out: Proc[] = [];
  for (const pid of pids) {
    if (pid === process.pid) continue;
    const s = await procStat(pid);
    if (s === undefined || s.state === 'Z') continue;
    const inGroup = leaderOurs && s.pgrp === rec.group!.pid;
    if (inGroup || (await hasEnvEntry(pid, `${RUN_ENV}=${rec.token}`))) out.push({ pid, start: s.start });
  }
  return out;
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone
  }
}

/**
 * Reap the command `path` records when the keyplate that wrote it is gone: SIGTERM, then SIGKILL
 * after `graceMs` to whatever still runs; the record is removed. An unreadable record is removed.
 */
export async function reapRecord(path: string, opts: { graceMs?: number; signal?: AbortSignal } = {}): Promise<ReapOutcome> {
  let rec: RunRecord;
  try {
    rec = JSON.parse(await readFile(path, 'utf8')) as RunRecord;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    await unlink(path).catch(() => undefined);
    return { kind: 'reaped', killed: [] };
  }
  if (typeof rec?.token !== 'string' || rec.token.length < 16) {
    await unlink(path).catch(() => undefined);
    return { kind: 'reaped', killed: [] };
  }
  if (rec.owner && (await sameProcessRunning(rec.owner.pid, rec.owner.start))) return { kind: 'owner-alive', owner: rec.owner.pid };
  const victims = await recordedProcesses(rec);
  if (victims === undefined) {
    await unlink(path).catch(() => undefined);
    return { kind: 'unverifiable' };
  }
  for (const p of victims) kill(p.pid, 'SIGTERM');
  const deadline = performance.now() + (opts.graceMs ?? 2000);
  const running = async (ps: readonly Proc[]) => (await Promise.all(ps.map(async (p) => ((await sameProcessRunning(p.pid, p.start)) ? [p] : [])))).flat();
  let left = await running(victims);
  while (left.length > 0 && performance.now() < deadline && !opts.signal?.aborted) {
    await delay(25);
    left = await running(left);
  }
  for (const p of left) kill(p.pid, 'SIGKILL');
  await unlink(path).catch(() => undefined);
  return { kind: 'reaped', killed: victims.map((p) => p.pid), pgid: rec.group?.pid };
}
