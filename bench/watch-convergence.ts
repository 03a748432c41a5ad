/**
 * (a) watch convergence: etcd put → destination file updated, with keyplate's runner in-process
 * (etcd v3 backend, watch, wait = 0, the seed template), and (c) the bare etcd put
 * acknowledgement in the same etcd, as the floor. (e) runs the same with other backends.
 */
import { open, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Etcd3 } from 'etcd3';
import { makeEngine, makeProcess, type CliIo } from '../src/app.ts';
import { loadConfig } from '../src/config/load.ts';
import { createLogger } from '../src/log.ts';
import { createRunner } from '../src/runner/runner.ts';
import { FileWatch } from './lib/file-watch.ts';

export const SEED_TEMPLATE = fileURLToPath(new URL('../examples/registrator-etcd/haproxy.tmpl', import.meta.url));

/** (c): sequential puts of one unwatched key; each sample is put → acknowledgement. */
export async function putFloor(kv: Etcd3, samples: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await kv.put('/floor/key').value(`v${i}`);
    out.push(performance.now() - t0);
  }
  return out;
}

/** The floor of (a): a put of one watched key → its watch event, in a client that watches it. */
export async function watchFloor(kv: Etcd3, samples: number): Promise<number[]> {
  const watcher = await kv.watch().key('/floor/watched').create();
  try {
    const out: number[] = [];
    for (let i = 0; i < samples; i++) {
      const seen = new Promise<number>((resolve) => watcher.once('put', () => resolve(performance.now())));
      const t0 = performance.now();
      await kv.put('/floor/watched').value(`v${i}`);
      out.push((await seen) - t0);
    }
    return out;
  } finally {
    await watcher.cancel();
  }
}

export interface SeedRunnerConfig {
  readonly dir: string;
  readonly etcdUrl: string;
  /** Where the data set lives in etcd (stripped before the template sees it). */
  readonly prefix: string;
  readonly dst: string;
  readonly watch: boolean;
  /** The backend block instead of etcd v3 at `etcdUrl` (other backends, same layout under `prefix`). */
  readonly backendToml?: string;
}

/** A keyplate config rendering the seed template from `<prefix>/services` and `<prefix>/config`. */
export async function writeSeedConfig(c: SeedRunnerConfig, name: string): Promise<string> {
  const file = join(c.dir, `${name}.toml`);
  await writeFile(
    file,
    `log_level = "warn"
[[resource]]
name = "seed"
[[resource.template]]
src = ${JSON.stringify(SEED_TEMPLATE)}
dst = ${JSON.stringify(c.dst)}
${c.backendToml ?? `[resource.backend.etcd]\nnodes = [${JSON.stringify(c.etcdUrl)}]\nversion = 3`}
prefix = ${JSON.stringify(c.prefix)}
keys = ["/services", "/config"]
watch = ${c.watch}
`,
  );
  return file;
}

export interface ConvergenceResult {
  /** put → destination updated, per sample. */
  readonly times: number[];
  /** The same puts' acknowledgements. */
  readonly acks: number[];
  /** Start → first render on disk. */
  readonly firstRenderMs: number;
}

/**
 * Start a watching runner over the data set, then `samples` times: change one instance of a
 * service (a new value each time) and time until the destination shows it.
 */
export async function convergence(
  kv: Etcd3,
  c: SeedRunnerConfig & { services: number; samples: number; put?: (key: string, value: string) => Promise<unknown>; probe?: string },
): Promise<ConvergenceResult> {
  const probe = c.probe ?? 'bench:probe:80';
  const put = c.put ?? ((key: string, value: string) => kv.put(key).value(value));
  const file = await writeSeedConfig(c, `watch-${c.services}`);
  const config = await loadConfig({ file, env: {} });
  const logger = createLogger({ level: 'warn', format: 'text' });
  const io: CliIo = { stdout: new PassThrough(), stderr: process.stderr, env: {} };
  const runner = createRunner(config, { process: makeProcess(makeEngine(io, logger), logger, io), logger, env: {} }, { noop: false });
  const fw = new FileWatch(c.dst);
  const stop = new AbortController();
  const t0 = performance.now();
  const firstSeen = fw.waitFor('backend svc0_servers', 120_000);
  const done = runner.start(stop.signal);
  try {
    const firstRenderMs = (await firstSeen) - t0;
    const times: number[] = [];
    const acks: number[] = [];
    for (let i = 0; i < c.samples; i++) {
      const value = `10.250.${(i >> 8) & 255}.${i & 255}:${30_000 + i}`;
      const key = `${c.prefix}/services/svc${i % c.services}/${probe}`;
      const seen = fw.waitFor(`${probe} ${value}\n`, 60_000);
      const start = performance.now();
      const ack = (async () => {
        await put(key, value);
        return performance.now() - start;
      })();
      times.push((await seen) - start);
      acks.push(await ack);
      await delay(5); // let the cycle finish: each sample starts from an idle runner
    }
    return { times, acks, firstRenderMs };
  } finally {
    fw.close();
    stop.abort();
    await done;
  }
}

/**
 * Context for (a): what installing a small destination costs on this disk by itself, the way the
 * pipeline does it (write a temp file beside it, fsync, rename over, fsync the directory).
 */
export async function installFloor(dir: string, samples: number): Promise<number[]> {
  const out: number[] = [];
  const body = 'x'.repeat(2_000);
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    const fh = await open(join(dir, '.floor.tmp'), 'w');
    await fh.writeFile(body);
    await fh.sync();
    await fh.close();
    await rename(join(dir, '.floor.tmp'), join(dir, 'floor.cfg'));
    const d = await open(dir, 'r');
    await d.sync();
    await d.close();
    out.push(performance.now() - t0);
  }
  return out;
}
