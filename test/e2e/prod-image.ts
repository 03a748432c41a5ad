/**
 * The Docker image without Docker: parses the Dockerfile (stages, WORKDIR, COPY, ENV, RUN,
 * HEALTHCHECK, ENTRYPOINT) and lays out the final stage's filesystem under a temp root, so the
 * image's exact ENTRYPOINT and HEALTHCHECK can run on the host:
 *
 * - `COPY <context path> <dst>`: copied from the repository (relative dst against WORKDIR);
 * - `COPY --from=build <dir>/dist ...`: the build stage's `npm run build` (checked to be
 *   `node scripts/build.mjs`, the esbuild bundle), run here with `--outdir` in the temp root;
 * - `npm ci --omit=dev`: node_modules with symlinks to the repository's non-dev packages only
 *   (from package-lock.json), so the built code runs without tsx or typescript;
 * - `ln -s <target> <link>`: the same link, both ends under the root.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, symlink } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../helpers/daemon.ts';

const run = promisify(execFile);

export interface Instruction {
  readonly op: string;
  readonly args: string;
  /** 1-based line of the instruction. */
  readonly line: number;
}

export interface Stage {
  readonly from: string;
  readonly name?: string;
  readonly instructions: readonly Instruction[];
}

/** Split into stages of instructions: continuation lines joined, comments and blanks dropped. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Array<{ from: string; name?: string; instructions: Instruction[] }> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let l = lines[i];
    if (/^\s*(#|$)/.test(l)) continue;
    while (/\\\s*$/.test(l) && i + 1 < lines.length) {
      i++;
      if (/^\s*#/.test(lines[i])) continue;
      l = `${l.replace(/\\\s*$/, '')} ${lines[i].trim()}`;
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(l);
    if (!m) throw new Error(`Dockerfile line ${start}: cannot parse: ${l}`);
    const op = m[1].toUpperCase();
    const args = m[2].trim();
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`Dockerfile line ${start}: bad FROM: ${args}`);
      stages.push({ from: f[1], ...(f[2] ? { name: f[2] } : {}), instructions: [] });
      continue;
    }
    if (stages.length === 0) throw new Error(`Dockerfile line ${start}: ${op} before FROM`);
    stages[stages.length - 1].instructions.push({ op, args, line: start });
  }
  return stages;
}

/** `ENV A=1 B="x y"` (or the legacy `ENV A value`) → pairs. */
export function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!/^\S+=/.test(args)) {
    const [k, ...rest] = args.split(/\s+/);
    out[k] = rest.join(' ');
    return out;
  }
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)\s*/y;
  while (re.lastIndex < args.length) {
    const m = re.exec(args);
    if (!m) throw new Error(`ENV: cannot parse ${args}`);
    out[m[1]] = m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2];
  }
  return out;
}

/** An exec-form (JSON array) command, or the shell form as `/bin/sh -c`. */
export function parseCommand(args: string): string[] {
  if (args.startsWith('[')) {
    const v = JSON.parse(args) as unknown;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`not an exec-form command: ${args}`);
    return v as string[];
  }
  return ['/bin/sh', '-c', args];
}

export interface HealthCheck {
  readonly options: Readonly<Record<string, string>>;
  readonly command: readonly string[];
}

export function parseHealthcheck(args: string): HealthCheck {
  const m = /^((?:--[a-z-]+=\S+\s+)*)CMD\s+(.*)$/.exec(args);
  if (!m) throw new Error(`HEALTHCHECK: expected [options] CMD ..., got ${args}`);
  const options: Record<string, string> = {};
  for (const o of m[1].trim().split(/\s+/).filter(Boolean)) {
    const [k, v] = o.replace(/^--/, '').split('=');
    options[k] = v;
  }
  return { options, command: parseCommand(m[2]) };
}

export interface Image {
  readonly stages: readonly Stage[];
  /** The final stage. */
  readonly final: Stage;
  readonly env: Readonly<Record<string, string>>;
  readonly workdir: string;
  readonly entrypoint: readonly string[];
  readonly healthcheck: HealthCheck;
  /** Final-stage COPY destinations (absolute, in the image). */
  readonly copies: ReadonlyArray<{ readonly from?: string; readonly sources: readonly string[]; readonly dest: string }>;
  readonly runs: readonly string[];
}

export async function readImage(file = join(REPO, 'Dockerfile')): Promise<Image> {
  const stages = parseDockerfile(await readFile(file, 'utf8'));
  const final = stages[stages.length - 1];
  const env: Record<string, string> = {};
  let workdir = '/';
  let entrypoint: string[] | undefined;
  let healthcheck: HealthCheck | undefined;
  const copies: Array<{ from?: string; sources: string[]; dest: string }> = [];
  const runs: string[] = [];
  for (const ins of final.instructions) {
    if (ins.op === 'ENV') Object.assign(env, parseEnv(ins.args));
    else if (ins.op === 'WORKDIR') workdir = posix.resolve(workdir, ins.args);
    else if (ins.op === 'ENTRYPOINT') entrypoint = parseCommand(ins.args);
    else if (ins.op === 'HEALTHCHECK') healthcheck = parseHealthcheck(ins.args);
    else if (ins.op === 'RUN') runs.push(ins.args);
    else if (ins.op === 'COPY') {
      const words = ins.args.split(/\s+/);
      const from = words[0].startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
      const dest = posix.resolve(workdir, words.pop()!);
      copies.push({ ...(from ? { from } : {}), sources: words, dest });
    }
  }
  if (!entrypoint) throw new Error('the final stage has no ENTRYPOINT');
  if (!healthcheck) throw new Error('the final stage has no HEALTHCHECK');
  return { stages, final, env, workdir, entrypoint, healthcheck, copies, runs };
}

/** Non-dev packages of package-lock.json (`node_modules/<name>` or `node_modules/@scope/<name>`), top level only. */
export async function prodPackages(): Promise<string[]> {
  const lock = JSON.parse(await readFile(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([p, info]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(p) && !info.dev)
    .map(([p]) => p.slice('node_modules/'.length));
}

/** The final stage's filesystem under `root`; returns a function mapping image paths into it. */
export async function layOutImage(image: Image, root: string): Promise<(p: string) => string> {
  const at = (p: string) => join(root, p);
  const build = image.stages.find((s) => s.name !== undefined && image.copies.some((c) => c.from === s.name));
  for (const c of image.copies) {
    await mkdir(dirname(at(c.dest)), { recursive: true });
    if (c.from !== undefined) {
      if (!build || c.sources.length !== 1) throw new Error(`COPY --from=${c.from}: only one source from the build stage is emulated`);
      await buildStage(build, c.sources[0], at(c.dest));
      continue;
    }
    const many = c.sources.length > 1 || c.dest.endsWith('/');
    for (const s of c.sources) {
      const dest = many ? join(at(c.dest), posix.basename(s)) : at(c.dest);
      await mkdir(dirname(dest), { recursive: true });
      await cp(join(REPO, s), dest, { recursive: true });
    }
  }
  for (const r of image.runs) {
    if (/npm ci\b[^&]*--omit=dev/.test(r)) await prodNodeModules(at(image.workdir));
    for (const m of r.matchAll(/ln -s (\S+) (\S+)/g)) {
      await mkdir(dirname(at(m[2])), { recursive: true });
      await symlink(at(m[1]), at(m[2]));
    }
  }
  return at;
}

/** The build stage's `npm run build`, i.e. scripts/build.mjs (the esbuild bundle), into `outDir`. */
async function buildStage(stage: Stage, source: string, outDir: string): Promise<void> {
  const script = (JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.build;
  if (!stage.instructions.some((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args))) throw new Error('the build stage does not run `npm run build`');
  if (script !== 'node scripts/build.mjs') throw new Error(`package.json "build" changed (${script}): update the emulation`);
  if (posix.basename(source) !== 'dist') throw new Error(`COPY --from: expected the build's dist, got ${source}`);
  await run(process.execPath, [join(REPO, 'scripts', 'build.mjs'), '--outdir', outDir], { cwd: REPO }).catch((e: { stdout?: string; message: string }) => {
    throw new Error(`npm run build failed: ${e.stdout ?? ''}${e.message}`);
  });
}

async function prodNodeModules(dir: string): Promise<void> {
  for (const name of await prodPackages()) {
    const link = join(dir, 'node_modules', name);
    await mkdir(dirname(link), { recursive: true });
    await symlink(join(REPO, 'node_modules', name), link, 'dir');
  }
}
