/**
 * (h) scale figures the other sections do not give:
 *   - watch mode peak RSS at 10,000 services × 3: the shipped daemon (a child) watching the large
 *     data set, through its first render and `puts` changes; VmHWM from /proc/<pid>/status
 *   - examples/etcd-haproxy's haproxy.cfg at 100,000 keys: median in-process render
 */
import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { ROOT, type Entry } from './onetime.ts';
import { renderHaproxy } from './render-haproxy.ts';
import { fmtMb, fmtMs, median, verdict, type Row } from './lib/stats.ts';
import { writeSeedConfig } from './watch-convergence.ts';

async function vmHwm(pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const m = /VmHWM:\s+(\d+) kB/.exec(s);
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

function fileChanged(path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      w.close();
      resolve(false);
    }, timeoutMs);
    const w = watch(dirname(path), (_e, name) => {
      if (name !== basename(path)) return;
      clearTimeout(timer);
      w.close();
      resolve(true);
    });
  });
}

/** Peak RSS of the daemon over its first render and `puts` changes of the large data set. */
export async function watchRss(o: { entry: Entry; kv: Etcd3; dir: string; etcdUrl: string; prefix: string; puts: number; run: number }): Promise<number> {
  const dst = join(o.dir, 'scale-watch.cfg');
  await rm(dst, { force: true });
  const cfg = await writeSeedConfig({ dir: o.dir, etcdUrl: o.etcdUrl, prefix: o.prefix, dst, watch: true }, 'scale-watch');
  const first = fileChanged(dst, 120_000);
  const p = spawn(process.execPath, [...o.entry.args, 'run', '-c', cfg], { cwd: ROOT, stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  try {
    if (!(await first)) throw new Error('no first render within 120 s');
    for (let i = 0; i < o.puts; i++) {
      const changed = fileChanged(dst, 30_000);
      // a value no earlier run wrote, so every put changes the file
      await o.kv.put(`${o.prefix}/services/svc${i}/bench:rss.${i}:80`).value(`10.251.${o.run & 255}.${i & 255}:${30_000 + i}`);
      await changed;
    }
    return await vmHwm(p.pid!);
  } finally {
    p.kill('SIGTERM');
    await new Promise((resolve) => p.once('close', resolve));
  }
}

export async function scaleRows(o: { entry: Entry; kv: Etcd3; dir: string; etcdUrl: string; largePrefix: string; runs: number; log: (s: string) => void }): Promise<Row[]> {
  const rows: Row[] = [];
  o.log('(h) watch mode peak RSS, 10,000 services × 3');
  const rss: number[] = [];
  for (let i = 0; i < Math.max(1, Math.min(3, o.runs)); i++) rss.push(await watchRss({ ...o, prefix: o.largePrefix, puts: 10, run: i }));
  rows.push({ measure: `(h) ${o.entry.label} run (watch), 10,000 svc × 3: peak RSS (first render + 10 puts)`, samples: rss.length, median: fmtMb(median(rss)), tail: fmtMb(Math.max(...rss)), target: '≤ 150 MB', result: verdict(median(rss) <= 150 * 2 ** 20) });

  o.log('(h) examples/etcd-haproxy haproxy.cfg at 100,000 keys');
  const r = await renderHaproxy(100_000, o.runs);
  rows.push({
    measure: `(h) etcd-haproxy haproxy.cfg render, 100,000 keys (first ${fmtMs(r.firstMs)})`,
    samples: r.times.length,
    median: fmtMs(median(r.times)),
    tail: fmtMs(Math.max(...r.times)),
    target: '≤ 300 ms per render',
    result: verdict(median(r.times) <= 300),
  });
  return rows;
}
