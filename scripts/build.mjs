#!/usr/bin/env node
/**
 * `npm run build`: src/ → dist/: the whole CLI as one script (esbuild), dist/keyplate.cjs, and its
 * loader dist/bin.js (scripts/dist-entry.cjs; dist/package.json makes dist/ CommonJS), which runs
 * it through V8's code cache. Node 20 has no compile cache for modules: resolving, parsing and
 * compiling the CLI's code costs more start-up time than the work of a one-shot render; from the
 * cache V8 reads the bytecode instead. The script is one function expression `(exports, require,
 * module, __filename, __dirname, __keyplate_import, __keyplate_url) => …` exporting `start`
 * (cli/start.ts); code only some commands need (HAProxy, status, each command) is initialized
 * when first used.
 *
 * The light pure-JS dependencies every command loads (commander, pino, smol-toml, nunjucks) are
 * bundled in. The rest stay external and load from node_modules when used: packages that load
 * files or native parts by path at run time (the etcd3/gRPC client) and the ones loaded on demand
 * (yaml, diff, execa, the redis and NATS clients, prom-client), through `import()` in the loader
 * (a script compiled by node:vm cannot import by itself). nunjucks' optional `chokidar` (its own
 * file watching, which keyplate never turns on) stays an unresolved external. Types are checked
 * by `npm run typecheck`, not here.
 *
 *   node scripts/build.mjs [--outdir dist]
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const i = process.argv.indexOf('--outdir');
const outdir = i > 0 ? process.argv[i + 1] : join(ROOT, 'dist');

const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
const BUNDLED = new Set(['commander', 'pino', 'smol-toml', 'nunjucks']);
const external = Object.keys(pkg.dependencies).filter((d) => !BUNDLED.has(d));
const WRAPPER = '(function (exports, require, module, __filename, __dirname, __keyplate_import, __keyplate_url) {';

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

/** Parts of bundled packages keyplate never uses, kept from loading at start: pino's transports
 *  (worker threads; keyplate logs to a stream) and the child_process commander loads at once for
 *  executable subcommands (keyplate has none; loaded on first use instead). */
const unusedAtStart = {
  name: 'unused-at-start',
  setup(b) {
    b.onResolve({ filter: /^thread-stream$/ }, (a) => (/node_modules\/pino\//.test(a.importer) ? { path: 'thread-stream', namespace: 'unused' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'unused' }, () => ({
      contents: "module.exports = function ThreadStream() { throw new Error('pino transports are not part of the keyplate bundle'); };",
      loader: 'js',
    }));
    b.onResolve({ filter: /^node:child_process$/ }, (a) => (/node_modules\/commander\//.test(a.importer) ? { path: 'child_process', namespace: 'lazy' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "let m; module.exports = new Proxy({}, { get: (_, k) => (m ??= require('node:child_process'))[k] });",
      loader: 'js',
    }));
  },
};

const id = await buildId();
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { keyplate: 'src/cli/start.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: [...external.flatMap((d) => [d, `${d}/*`]), 'chokidar'],
  define: { __KEYPLATE_VERSION__: JSON.stringify(pkg.version), __KEYPLATE_BUILD__: JSON.stringify(id), 'import.meta.url': '__keyplate_url' },
  // no comments, no indentation, simpler syntax (names stay: stack traces and error classes keep
  // them): less source for Node to read and V8 to scan, and ASCII (a one-byte string for V8)
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  plugins: [unusedAtStart],
  banner: { js: WRAPPER },
  footer: { js: '})' },
  sourcemap: true,
  metafile: true,
  write: false,
  logLevel: 'warning',
});

const code = result.outputFiles.find((f) => f.path.endsWith('.cjs'));
const map = result.outputFiles.find((f) => f.path.endsWith('.map'));
// the external packages a command loads on demand: through the loader's import()
const dynamic = new Set(Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((x) => x.external && x.kind === 'dynamic-import').map((x) => x.path)));
let text = code.text;
for (const spec of dynamic) {
  const call = `import(${JSON.stringify(spec)})`;
  if (!text.includes(call)) throw new Error(`build: expected ${call} in the bundle`);
  text = text.split(call).join(`__keyplate_import(${JSON.stringify(spec)})`);
}
if (/\bimport\(/.test(text.replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, '""'))) throw new Error('build: an import() the loader does not provide is left in the bundle');
if (/[^\x00-\x7f]/.test(text)) throw new Error(`build: the bundle is not ASCII (${JSON.stringify(/.{0,40}[^\x00-\x7f].{0,20}/.exec(text)?.[0])}): the loader reads it as latin1`);
if (!text.startsWith(WRAPPER)) throw new Error('build: the bundle does not start with its wrapper');

// empty dist/ but keep the folder: re-creating it would touch the package root, and npm (npx)
// then finds its node_modules/.package-lock.json out of date and re-reads the whole tree
await mkdir(outdir, { recursive: true });
for (const e of await readdir(outdir)) await rm(join(outdir, e), { recursive: true, force: true });
await writeFile(join(outdir, 'keyplate.cjs'), text);
await writeFile(join(outdir, 'keyplate.cjs.map'), map.text);
const bundleHash = createHash('sha256').update(text).digest('hex').slice(0, 32);
const entry = (await readFile(join(ROOT, 'scripts/dist-entry.cjs'), 'utf8')).replace("'__KEYPLATE_BUNDLE_HASH__'", JSON.stringify(bundleHash));
await writeFile(join(outdir, 'bin.js'), entry);
await writeFile(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
await chmod(join(outdir, 'bin.js'), 0o755);
