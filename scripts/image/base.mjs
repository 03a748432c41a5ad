// A local stand-in for the Dockerfile's base image (no container registry is reachable here):
// Debian bookworm from `debootstrap --variant=minbase`, with the Debian mirror and sources apt
// uses on this host, this host's node and npm laid out as in the official image
// (/usr/local/bin/node, /usr/local/lib/node_modules/npm), a `node` user (uid/gid 1000), and the
// host's CA bundle with npm's global `cafile` pointing at it, so `npm ci` inside the build trusts
// what the host trusts. Imported into podman under the name the Dockerfile uses.
//
// Cached by a content hash of everything that goes in: the image carries it as a label, and the
// rootfs tarball is kept in CACHE_DIR, so only the first run pays for debootstrap.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, appendFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CACHE_DIR, podmanEnv } from './env.mjs';

const SUITE = 'bookworm';
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const HASH_LABEL = 'org.keyplate.stand-in-hash';

/** The Debian mirror apt uses here: the first `deb` source for the suite (deb822 or one-line). */
export function debianSources() {
  const files = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) for (const f of readdirSync(dir).sort()) if (/\.(list|sources)$/.test(f)) files.push(join(dir, f));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const para of text.split(/\n\s*\n/)) {
        const field = (k) => new RegExp(`^${k}:\\s*(.+)$`, 'mi').exec(para)?.[1].trim();
        const suites = (field('Suites') ?? '').split(/\s+/);
        if ((field('Types') ?? '').split(/\s+/).includes('deb') && suites.includes(SUITE)) {
          return { mirror: field('URIs').split(/\s+/)[0], file, text };
        }
      }
    } else {
      const m = new RegExp(`^deb\\s+(?:\\[[^\\]]*\\]\\s+)?(\\S+)\\s+${SUITE}\\s`, 'm').exec(text);
      if (m) return { mirror: m[1], file, text };
    }
  }
  throw new Error(`no "deb … ${SUITE}" source in /etc/apt: cannot tell which Debian mirror to debootstrap from`);
}

/** Where this host's node and npm are. */
function hostNode() {
  const node = process.execPath;
  const npmCli = execFileSync('sh', ['-c', 'readlink -f "$(command -v npm)"'], { encoding: 'utf8' }).trim();
  const npmDir = dirname(dirname(npmCli)); // …/node_modules/npm/bin/npm-cli.js → …/node_modules/npm
  const npmVersion = JSON.parse(readFileSync(join(npmDir, 'package.json'), 'utf8')).version;
  return { node, nodeVersion: process.versions.node, npmDir, npmVersion };
}

/** The base images the Dockerfile builds FROM (stage names excluded). */
export function dockerfileBases(dockerfile) {
  const stages = new Set();
  const bases = [];
  for (const m of readFileSync(dockerfile, 'utf8').matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)) {
    if (!stages.has(m[1]) && !bases.includes(m[1])) bases.push(m[1]);
    if (m[2]) stages.add(m[2]);
  }
  return bases;
}

/** `node:20-bookworm-slim` → `docker.io/library/node:20-bookworm-slim`, checked against this host. */
export function standInName(base, nodeVersion) {
  const m = /^(?:docker\.io\/)?(?:library\/)?node:(\d+)-bookworm-slim$/.exec(base);
  if (!m) throw new Error(`the Dockerfile builds FROM ${base}: only node:<major>-bookworm-slim can be stood in for here`);
  const major = nodeVersion.split('.')[0];
  if (m[1] !== major) {
    throw new Error(`the Dockerfile builds FROM ${base}, but the stand-in can only carry this host's Node ${nodeVersion} (no registry is reachable): the image test cannot verify Node ${m[1]}`);
  }
  return `docker.io/library/node:${m[1]}-bookworm-slim`;
}

const sha = (data) => createHash('sha256').update(data).digest('hex');

export function standInHash(src) {
  const h = createHash('sha256');
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  h.update(`\0${SUITE}\0${src.mirror}\0${src.text}\0`);
  const n = hostNode();
  h.update(`${n.nodeVersion}\0${sha(readFileSync(n.node))}\0${n.npmVersion}\0`);
  h.update(sha(readFileSync(CA_BUNDLE)));
  return h.digest('hex').slice(0, 16);
}

function podman(args, opts = {}) {
  return execFileSync('podman', args, { env: podmanEnv(), encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
}

function imageHash(name) {
  try {
    return podman(['image', 'inspect', '--format', `{{ index .Labels "${HASH_LABEL}" }}`, name], { stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** debootstrap + node/npm + user + CA into a tarball (atomically renamed into place). */
function buildRootfs(tarball, src, log) {
  const work = join(CACHE_DIR, `work-${process.pid}`);
  const root = join(work, 'rootfs');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    log(`stand-in base: debootstrap --variant=minbase ${SUITE} from ${src.mirror} (about a minute)`);
    execFileSync('debootstrap', ['--variant=minbase', SUITE, root, src.mirror], { stdio: ['ignore', 'ignore', 'inherit'] });
    // apt inside the image uses the same sources as the host (updates, security)
    rmSync(join(root, 'etc/apt/sources.list'), { force: true });
    const srcName = src.file.endsWith('.sources') ? 'debian.sources' : 'debian.list';
    writeFileSync(join(root, 'etc/apt/sources.list.d', srcName), src.text);
    for (const d of ['var/lib/apt/lists', 'var/cache/apt/archives', 'dev']) {
      for (const f of readdirSync(join(root, d))) if (f !== 'partial' && f !== 'lock') rmSync(join(root, d, f), { recursive: true, force: true });
    }
    // node and npm where the official image has them
    const n = hostNode();
    cpSync(n.node, join(root, 'usr/local/bin/node'));
    chmodSync(join(root, 'usr/local/bin/node'), 0o755);
    cpSync(n.npmDir, join(root, 'usr/local/lib/node_modules/npm'), { recursive: true });
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
    // the host's CA bundle, where no Debian package overwrites it, and npm trusting it
    cpSync(CA_BUNDLE, join(root, 'etc/ssl/host-ca-bundle.crt'));
    mkdirSync(join(root, 'usr/local/etc'), { recursive: true });
    writeFileSync(join(root, 'usr/local/etc/npmrc'), 'cafile=/etc/ssl/host-ca-bundle.crt\nupdate-notifier=false\nfund=false\naudit=false\n');
    // the official image's unprivileged user
    appendFileSync(join(root, 'etc/group'), 'node:x:1000:\n');
    appendFileSync(join(root, 'etc/passwd'), 'node:x:1000:1000::/home/node:/bin/bash\n');
    appendFileSync(join(root, 'etc/shadow'), 'node:!:19000:0:99999:7:::\n');
    mkdirSync(join(root, 'home/node'), { recursive: true });
    execFileSync('chown', ['1000:1000', join(root, 'home/node')]);
    const tmp = `${tarball}.part`;
    execFileSync('tar', ['--numeric-owner', '-C', root, '-cf', tmp, '.']);
    renameSync(tmp, tarball);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Make sure podman has the stand-in for every base the Dockerfile uses; returns what was done.
 * `log` gets progress lines.
 */
export function ensureStandInBase(dockerfile, log = console.error) {
  const src = debianSources();
  const hash = standInHash(src);
  const n = hostNode();
  const done = [];
  for (const base of dockerfileBases(dockerfile)) {
    const name = standInName(base, n.nodeVersion);
    if (imageHash(name) === hash) {
      done.push({ name, hash, action: 'cached image' });
      continue;
    }
    mkdirSync(CACHE_DIR, { recursive: true });
    const tarball = join(CACHE_DIR, `${SUITE}-node${n.nodeVersion}-${hash}.tar`);
    const fresh = !existsSync(tarball);
    if (fresh) {
      for (const f of readdirSync(CACHE_DIR)) if (f.endsWith('.tar') && f.startsWith(`${SUITE}-`)) rmSync(join(CACHE_DIR, f), { force: true });
      buildRootfs(tarball, src, log);
    }
    log(`stand-in base: podman import ${name}`);
    podman([
      'import',
      '--change', `ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      '--change', `ENV NODE_VERSION=${n.nodeVersion}`,
      '--change', `LABEL ${HASH_LABEL}=${hash}`,
      '--change', 'CMD ["node"]',
      tarball, name,
    ], { stdio: ['ignore', 'ignore', 'inherit'] });
    done.push({ name, hash, action: fresh ? 'debootstrap + import' : 'import of the cached tarball' });
  }
  return done;
}
