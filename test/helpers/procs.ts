/** Processes seen through /proc: descendants, liveness, command lines, HAProxy leftovers. */
import { readdir, readFile } from 'node:fs/promises';

/** Every pid whose parent is `pid`, recursively (from /proc), for "nothing left running" checks. */
export async function descendants(pid: number): Promise<number[]> {
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

/** PIDs of live haproxy processes whose command line mentions `marker` (e.g. a test's temp dir). */
export async function haproxyPids(marker: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const argv = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    const args = argv.split('\0');
    if (/haproxy$/.test(args[0] ?? '') && argv.includes(marker)) out.push(Number(name));
  }
  return out;
}

/** Is `pid` an HAProxy process (by its command line)? */
export async function isHaproxy(pid: number): Promise<boolean> {
  return (await cmdline(pid)).includes('haproxy');
}
