#!/usr/bin/env node
// Entry point. An installed package runs the bundled CLI (dist/, built on `npm pack`). A
// development checkout (src/ present) runs dist/ only while it is newer than everything in src/
// (files and folders, so an added, edited, moved or deleted source counts), else the TypeScript
// sources through tsx: a stale dist/ left by `npm run build` never shadows the code being edited,
// and a fresh one starts as fast as the installed package. CommonJS (bin/package.json says so),
// like dist/bin.js: Node starts a CommonJS main module sooner than an ES one.
'use strict';
const { existsSync, readdirSync, statSync } = require('node:fs');
const { pathToFileURL } = require('node:url');

const srcDir = `${__dirname}/../src`;
const dist = `${__dirname}/../dist/bin.js`;

/** Whether dist/bin.js was built after the last change under src/. */
function distIsFresh() {
  let built;
  try {
    built = statSync(dist).mtimeMs;
  } catch {
    return false;
  }
  return statSync(srcDir).mtimeMs <= built && unchangedSince(srcDir, built);
}

/** Every entry under `dir` (and the folders in it) older than `time`. Plain string paths and one
 *  listing per folder: readdirSync's `recursive` and path.join cost several times more at start. */
function unchangedSince(dir, time) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    if (statSync(path).mtimeMs > time) return false;
    if (e.isDirectory() && !unchangedSince(path, time)) return false;
  }
  return true;
}

if (existsSync(srcDir) && !distIsFresh()) {
  import('tsx/esm/api').then(({ register }) => {
    register();
    return import(pathToFileURL(`${srcDir}/bin.ts`).href);
  });
} else {
  require(dist);
}
