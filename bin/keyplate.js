#!/usr/bin/env node
// Entry point. An installed package runs the bundled CLI (dist/, built on `npm pack`). A
// development checkout (src/ present) runs dist/ only while it is newer than everything in src/
// (files and folders, so an added, edited, moved or deleted source counts), else the TypeScript
// sources through tsx: a stale dist/ left by `npm run build` never shadows the code being edited,
// and a fresh one starts as fast as the installed package.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const srcDir = fileURLToPath(new URL('../src', import.meta.url));
const dist = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** Whether dist/bin.js was built after the last change under src/. */
function distIsFresh() {
  let built;
  try {
    built = statSync(dist).mtimeMs;
  } catch {
    return false;
  }
  if (statSync(srcDir).mtimeMs > built) return false;
  for (const name of readdirSync(srcDir, { recursive: true })) {
    if (statSync(join(srcDir, name)).mtimeMs > built) return false;
  }
  return true;
}

if (existsSync(srcDir) && !distIsFresh()) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(join(srcDir, 'bin.ts'));
} else {
  await import(dist);
}
