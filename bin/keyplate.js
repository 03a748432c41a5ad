#!/usr/bin/env node
// Installed entry point: runs the compiled CLI (npm run build), or the TypeScript sources through
// tsx in a development checkout.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
if (existsSync(dist)) {
  await import(dist);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/bin.ts');
}
