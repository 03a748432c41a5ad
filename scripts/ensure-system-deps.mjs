#!/usr/bin/env node
// Tests and benchmarks run a real etcd, redis-server, nats-server, ZooKeeper (with java) and HAProxy (and openssl for
// certificates, Chromium for the status page).
// As root, install what is missing from Debian; otherwise fail and say what to install.
import { execFileSync } from 'node:child_process';

const needed = [
  { bin: 'etcd', pkg: 'etcd-server' },
  { bin: 'haproxy', pkg: 'haproxy' },
  { bin: 'openssl', pkg: 'openssl' },
  { bin: 'tini', pkg: 'tini' },
  // the status page's browser test (driven by playwright-core, which downloads no browser)
  { bin: 'chromium', pkg: 'chromium' },
  { bin: 'redis-server', pkg: 'redis-server' },
  { bin: 'nats-server', pkg: 'nats-server' },
  // the tests run ZooKeeper themselves (java … ZooKeeperServerMain): the `zookeeper` package brings the jars and a
  // JRE without the system service `zookeeperd` adds
  { bin: '/usr/share/java/zookeeper.jar', pkg: 'zookeeper' },
  { bin: 'java', pkg: 'zookeeper' },
];
const has = (bin) => {
  try {
    const probe = bin.startsWith('/') ? `test -e ${bin}` : `command -v ${bin} || test -x /usr/sbin/${bin}`;
    execFileSync('sh', ['-c', probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const missing = needed.filter((n) => !has(n.bin));
if (missing.length === 0) process.exit(0);
const pkgs = [...new Set(missing.map((m) => m.pkg))];
if (typeof process.getuid === 'function' && process.getuid() === 0) {
  console.error(`keyplate: installing missing Debian packages: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env });
  const still = missing.filter((n) => !has(n.bin));
  if (still.length === 0) process.exit(0);
  console.error(`keyplate: still missing after install: ${still.map((s) => s.bin).join(', ')}`);
  process.exit(1);
}
console.error(`keyplate: the tests need ${pkgs.join(', ')}. Install them with:\n  sudo apt-get install -y ${pkgs.join(' ')}`);
process.exit(1);
