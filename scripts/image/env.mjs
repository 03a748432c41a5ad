// What `npm run test:image` needs on the host: podman and friends from Debian (installed when
// root), and a containers.conf that works on this kind of host (runc instead of crun, cgroupfs,
// file events, ulimits the kernel accepts). Every podman call of the image tooling runs with
// CONTAINERS_CONF pointing at that file (podmanEnv()).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the stand-in base image's rootfs tarball and the containers.conf live (outside the repo). */
export const CACHE_DIR = process.env.KEYPLATE_IMAGE_CACHE || '/var/cache/keyplate-image';

const NEEDED = [
  { bin: 'podman', pkg: 'podman' },
  { bin: 'buildah', pkg: 'buildah' },
  { bin: 'runc', pkg: 'runc' },
  { bin: 'newuidmap', pkg: 'uidmap' },
  { bin: 'fuse-overlayfs', pkg: 'fuse-overlayfs' },
  { bin: 'slirp4netns', pkg: 'slirp4netns' },
  { bin: 'debootstrap', pkg: 'debootstrap' },
  { bin: 'podman-compose', pkg: 'podman-compose' },
  // the tests run etcd and the Rancher metadata emulator on the host
  { bin: 'etcd', pkg: 'etcd-server' },
];

function has(bin) {
  try {
    execFileSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Install what is missing (as root), or fail naming the packages. */
export function ensurePackages(log = console.error) {
  const missing = NEEDED.filter((n) => !has(n.bin));
  if (missing.length === 0) return;
  const pkgs = missing.map((m) => m.pkg);
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error(`the image tests need ${pkgs.join(', ')}. Install them with:\n  sudo apt-get install -y ${pkgs.join(' ')}`);
  }
  log(`keyplate: installing missing Debian packages: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env });
  const still = missing.filter((n) => !has(n.bin));
  if (still.length > 0) throw new Error(`still missing after apt-get install: ${still.map((s) => s.bin).join(', ')}`);
}

/** The hard open-files limit of this host: containers may not ask for more. */
function hardNofile() {
  const out = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  return out === 'unlimited' ? '1048576' : out;
}

/**
 * containers.conf for this host. crun fails on its cgroup layout (runc works); there is no systemd
 * (cgroupfs, file events); nofile above the hard limit and nproc above 32768 are refused, and any
 * `--ulimit` on the command line replaces all defaults, so the tests never pass one.
 */
export function containersConf() {
  const n = hardNofile();
  return [
    '# written by scripts/image/env.mjs (keyplate image tests)',
    '[containers]',
    `default_ulimits = ["nofile=${n}:${n}", "nproc=32768:32768"]`,
    '',
    '[engine]',
    'runtime = "runc"',
    'cgroup_manager = "cgroupfs"',
    'events_logger = "file"',
    '',
  ].join('\n');
}

/** Write the containers.conf (when it changed) and return its path. */
export function ensureContainersConf() {
  mkdirSync(CACHE_DIR, { recursive: true });
  const file = join(CACHE_DIR, 'containers.conf');
  const text = containersConf();
  let old = '';
  try {
    old = readFileSync(file, 'utf8');
  } catch {
    // first run
  }
  if (old !== text) writeFileSync(file, text);
  return file;
}

/** The environment for every podman/buildah call: CONTAINERS_CONF set. */
export function podmanEnv(base = process.env) {
  return { ...base, CONTAINERS_CONF: join(CACHE_DIR, 'containers.conf') };
}
