#!/usr/bin/env node
// Everything the image tests need before they run, idempotent and cached:
//   1. podman & co. from Debian (when root) and the containers.conf (scripts/image/env.mjs);
//   2. the stand-in base image (scripts/image/base.mjs; debootstrap only on a cold cache);
//   3. `podman build --format docker --pull=never -t keyplate .` from the Dockerfile, unchanged.
// Prints the time of each step and the image size. Tag: KEYPLATE_IMAGE (default "keyplate").
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureStandInBase } from './base.mjs';
import { ensureContainersConf, ensurePackages, podmanEnv } from './env.mjs';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const IMAGE = process.env.KEYPLATE_IMAGE || 'keyplate';

const log = (m) => console.error(`keyplate image: ${m}`);
const since = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

export function prepareImage() {
  let t0 = Date.now();
  ensurePackages(log);
  ensureContainersConf();
  log(`host ready (${since(t0)})`);

  t0 = Date.now();
  for (const b of ensureStandInBase(join(REPO, 'Dockerfile'), log)) log(`base ${b.name} [${b.hash}]: ${b.action} (${since(t0)})`);

  t0 = Date.now();
  // --network=host: no bridge network (netavark leaves NAT chains behind on this host)
  execFileSync('podman', ['build', '--format', 'docker', '--pull=never', '--network=host', '-t', IMAGE, '.'], {
    cwd: REPO,
    env: podmanEnv(),
    stdio: ['ignore', process.env.KEYPLATE_IMAGE_VERBOSE ? 'inherit' : 'ignore', 'inherit'],
  });
  const size = Number(execFileSync('podman', ['image', 'inspect', '--format', '{{.Size}}', IMAGE], { env: podmanEnv(), encoding: 'utf8' }).trim());
  log(`podman build -t ${IMAGE} (${since(t0)}); image size ${(size / 1e6).toFixed(1)} MB`);
  return { image: IMAGE, size };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    prepareImage();
  } catch (e) {
    log(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
