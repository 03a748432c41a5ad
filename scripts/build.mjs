#!/usr/bin/env node
/**
 * `npm run build`: src/ → dist/ as one ES module bundle (esbuild), dist/bin.js plus the chunks
 * its lazy imports load (commands, HAProxy, status, ...). Resolving and compiling hundreds of
 * small ESM files costs Node 20 more start-up time than the work of a one-shot render.
 *
 * The light pure-JS dependencies every command loads (commander, pino, smol-toml, nunjucks) are
 * bundled in. The rest stay external and load from node_modules when used: packages that load
 * files or native parts by path at run time (the etcd3/gRPC client) and the ones loaded on demand
 * (yaml, diff, execa, the redis and NATS clients, prom-client). nunjucks' optional `chokidar`
 * (its own file watching, which keyplate never turns on) stays an unresolved external. Types are
 * checked by `npm run typecheck`, not here.
 *
 *   node scripts/build.mjs [--outdir dist]
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const i = process.argv.indexOf('--outdir');
const outdir = i > 0 ? process.argv[i + 1] : join(ROOT, 'dist');

const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
const BUNDLED = new Set(['commander', 'pino', 'smol-toml', 'nunjucks']);
const external = Object.keys(pkg.dependencies).filter((d) => !BUNDLED.has(d));

/** What the bundle was built from: every source and the bundled dependencies' versions. Compiled
 *  templates a build stores on disk are found only by the same build (template/compiled-store.ts). */
async function buildId() {
  const hash = createHash('sha256');
  const src = join(ROOT, 'src');
  const files = (await readdir(src, { recursive: true })).filter((f) => f.endsWith('.ts')).sort();
  for (const f of files) hash.update(`${f}\0`).update(await readFile(join(src, f))).update('\0');
  for (const d of [...BUNDLED].sort()) {
    const version = JSON.parse(await readFile(join(ROOT, 'node_modules', d, 'package.json'), 'utf8')).version;
    hash.update(`${d}@${version}\0`);
  }
  return hash.digest('hex').slice(0, 32);
}

// empty dist/ but keep the folder: re-creating it would touch the package root, and npm (npx)
// then finds its node_modules/.package-lock.json out of date and re-reads the whole tree
await mkdir(outdir, { recursive: true });
for (const e of await readdir(outdir)) await rm(join(outdir, e), { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: { bin: 'src/bin.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: [...external.flatMap((d) => [d, `${d}/*`]), 'chokidar'],
  // bundled CommonJS dependencies (pino, commander, nunjucks) call require() for Node's own modules
  banner: { js: "import { createRequire as __keyplateRequire } from 'node:module'; const require = __keyplateRequire(import.meta.url);" },
  define: { __KEYPLATE_VERSION__: JSON.stringify(pkg.version), __KEYPLATE_BUILD__: JSON.stringify(await buildId()) },
  chunkNames: 'chunks/[name]-[hash]',
  // no comments, no indentation, simpler syntax (names stay: stack traces and error classes keep
  // them): about a third less source for Node to read and V8 to scan at every start, and pure
  // ASCII, so V8 keeps it as a one-byte string (one `…` in a comment doubles the chunk's size)
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  logLevel: 'warning',
});
