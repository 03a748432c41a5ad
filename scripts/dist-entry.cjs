#!/usr/bin/env node
// dist/bin.js, written by scripts/build.mjs from scripts/dist-entry.cjs: runs the bundle
// (dist/keyplate.cjs, the whole CLI as one function expression) through V8's code cache. Node 20
// has no compile cache for modules, and parsing and compiling the bundle is the largest part of a
// small one-shot; with the cache V8 reads the bytecode of the last run instead. The cache lives in
// keyplate's cache directory ($KEYPLATE_CACHE_DIR, else $XDG_CACHE_HOME/keyplate, else
// ~/.cache/keyplate; chosen here and handed to the CLI for its compiled templates, which
// template/compiled-store.ts keeps beside it) in code/, one file per bundle, Node version
// and architecture (the newest four kept), written when a process exits without a usable one. V8
// refuses a cache made for other source, another V8 or other flags (then the bundle compiles as
// without it). Cached bytecode is code keyplate runs: a directory not owned by this user, or that
// others may write, is never read. An empty KEYPLATE_CACHE_DIR turns it off.
// CommonJS (dist/package.json says so): Node starts a CommonJS main module sooner than an ES one.
'use strict';
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { homedir } = require('node:os');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

/** A hash of dist/keyplate.cjs (V8 checks little more than a cache's source length). */
const BUNDLE_HASH = '__KEYPLATE_BUNDLE_HASH__';
const bundle = `${__dirname}/keyplate.cjs`;

/** keyplate's cache directory (the one place that decides it: the bundle is handed it, for
 *  its compiled templates); undefined when KEYPLATE_CACHE_DIR is empty or there is no home. */
function cacheRoot() {
  const env = process.env;
  if (env.KEYPLATE_CACHE_DIR !== undefined) return env.KEYPLATE_CACHE_DIR.trim() === '' ? undefined : env.KEYPLATE_CACHE_DIR;
  const xdg = env.XDG_CACHE_HOME?.trim();
  if (xdg) return `${xdg}/keyplate`;
  try {
    return `${homedir()}/.cache/keyplate`;
  } catch {
    return undefined;
  }
}

/** Owned by this user, writable by nobody else. */
function trusted(dir) {
  try {
    const st = statSync(dir);
    return st.isDirectory() && (process.getuid === undefined || st.uid === process.getuid()) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

const root = cacheRoot();
const dir = root === undefined ? undefined : `${root}/code`;
const name = `${BUNDLE_HASH}-${process.version}-${process.arch}.bin`;
let cachedData;
if (dir !== undefined && trusted(dir)) {
  try {
    cachedData = readFileSync(`${dir}/${name}`);
  } catch {
    // none yet
  }
}
// the build checks the bundle is ASCII, so latin1 reads it as it is, into a one-byte string
const source = readFileSync(bundle, 'latin1');
const script = new Script(source, { filename: bundle, cachedData });
// A cache holds what the run that wrote it compiled: one from a run that did little (`--version`)
// is replaced once a run compiled clearly more.
const had = cachedData === undefined || script.cachedDataRejected === true ? 0 : cachedData.length;
cachedData = undefined;
if (dir !== undefined && had < source.length / 2) process.once('exit', () => save(dir, script, had));

/** The bundle's import(): Node's own modules through require, as a view of their exports with
 *  `default` (what import() gives), so a run that loads no package never starts Node's ES module
 *  loader (~4 ms); packages through import() itself. */
function load(specifier) {
  if (!specifier.startsWith('node:')) return import(specifier);
  return Promise.resolve().then(() => {
    const m = require(specifier);
    return Object.assign(Object.create(m), { default: m });
  });
}

const cli = { exports: {} };
script.runInThisContext()(cli.exports, createRequire(bundle), cli, bundle, __dirname, load, pathToFileURL(bundle).href);
cli.exports.start({ cacheDir: root }).then((code) => {
  process.exitCode = code;
});

/** Write the cache of this run's compiled code when it holds clearly more than the one read. */
function save(to, compiled, had) {
  try {
    const data = compiled.createCachedData();
    if (data.length < had * 1.2) return;
    mkdirSync(to, { recursive: true, mode: 0o700 });
    if (!trusted(to)) return;
    const tmp = `${to}/.${name}.${process.pid}`;
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, `${to}/${name}`);
    // keep the newest few (two installed versions must not evict each other at every run)
    const kept = readdirSync(to).filter((f) => !f.startsWith('.')).map((f) => ({ f, t: statSync(`${to}/${f}`).mtimeMs }));
    kept.sort((a, b) => b.t - a.t);
    for (const { f } of kept.slice(4)) rmSync(`${to}/${f}`, { force: true });
  } catch {
    // a cache: without it keyplate only starts slower
  }
}
