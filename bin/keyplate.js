#!/usr/bin/env node
// Entry point. An installed package runs the compiled CLI (dist/, built on `npm pack`); a
// development checkout (src/ present) runs the TypeScript sources through tsx, so a stale dist/
// left by `npm run build` never shadows the code being edited.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
if (existsSync(src)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(src);
} else {
  await import(fileURLToPath(new URL('../dist/bin.js', import.meta.url)));
}
