/**
 * What Linux's /proc says about a process: its state, process group and start time (which,
 * with the pid, names one process for good: a reused pid has a later start time), and whether its
 * environment holds an entry. Elsewhere (no /proc) every answer is "unknown".
 */
import { readdir, readFile } from 'node:fs/promises';

export interface ProcStat {
  readonly pid: number;
  /** `R`, `S`, `Z` (exited, not reaped yet), … */
  readonly state: string;
  readonly pgrp: number;
  /** Clock ticks after boot at which the process started. */
  readonly start: number;
}

/** /proc/<pid>/stat, or undefined when the process does not exist (or there is no /proc). */
export async function procStat(pid: number): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name (field 2) may hold spaces and parentheses: fields resume after the last ')'
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: f[0], pgrp: Number(f[2]), start: Number(f[19]) };
}

/** Every pid /proc lists; undefined without /proc. */
export async function listPids(): Promise<number[] | undefined> {
  try {
    return (await readdir('/proc')).filter((e) => /^\d+$/.test(e)).map(Number);
  } catch {
    return undefined;
  }
}

/** Does the environment of `pid` hold exactly `entry` (`NAME=value`)? False when it cannot be read. */
export async function hasEnvEntry(pid: number, entry: string): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').includes(entry);
  } catch {
    return false;
  }
}

/** Is this exact process (pid and start time) still running (a zombie has exited)? */
export async function sameProcessRunning(pid: number, start: number): Promise<boolean> {
  const s = await procStat(pid);
  return s !== undefined && s.start === start && s.state !== 'Z';
}
