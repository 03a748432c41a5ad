/**
 * The compose examples under Debian's podman-compose (1.0.3). It cannot run them here: their
 * images (quay.io/coreos/etcd, gliderlabs/registrator, traefik/whoami) come from registries this
 * host cannot reach, registrator needs Docker's event API on /var/run/docker.sock, and 1.0.3
 * ignores `depends_on` conditions (service_healthy, service_completed_successfully), which the
 * registrator example relies on. It has no `config` command either. So: `podman-compose build`
 * really builds keyplate from the compose file's `build:` section, and `--dry-run up` must turn
 * each file into the podman commands intended (what test/e2e/prod-compose.test.ts checks in the YAML).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ensureImage, IMAGE, podman, podmanEnv, podmanOk, REPO, type Result } from './podman.ts';

function compose(file: string, project: string, args: readonly string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile('podman-compose', ['-p', project, '-f', file, ...args], { cwd: REPO, env: podmanEnv(), encoding: 'utf8', timeout: 600_000, maxBuffer: 32 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

/** `--dry-run up -d`: the `podman run` line per service. It still creates the network and volumes: removed after. */
async function dryRun(file: string, project: string, volumes: readonly string[]): Promise<Map<string, string>> {
  try {
    const r = await compose(file, project, ['--dry-run', 'up', '-d']);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    const runs = new Map<string, string>();
    for (const l of `${r.stdout}\n${r.stderr}`.split('\n')) {
      const m = /^podman run --name=(\S+)_1 /.exec(l);
      if (m) runs.set(m[1].slice(project.length + 1), l);
    }
    return runs;
  } finally {
    await podman(['network', 'rm', '-f', `${project}_default`]);
    for (const v of volumes) await podman(['volume', 'rm', '-f', `${project}_${v}`]);
  }
}

describe('compose examples under podman-compose', { timeout: 600_000 }, () => {
  const file = 'examples/registrator-etcd/docker-compose.yml';

  it(`${file}: podman-compose build builds the keyplate service from the repository's Dockerfile`, async () => {
    await ensureImage();
    const built = await podmanOk(['image', 'inspect', '--format', '{{.Id}}', IMAGE]);
    const r = await compose(file, `kpbuild${process.pid}`, ['--podman-build-args=--network=host --pull=never --format=docker', 'build', 'keyplate']);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.equal(await podmanOk(['image', 'inspect', '--format', '{{.Id}}', IMAGE]), built, 'the same image as `podman build .` (all layers cached)');
  });

  it(`${file}: --dry-run up starts etcd (v2), registrator, the whoami app and keyplate with the mounted example`, async () => {
    const runs = await dryRun(file, `kpreg${process.pid}`, ['etcd-data']);
    assert.deepEqual([...runs.keys()].sort(), ['etcd', 'hosts', 'keyplate', 'registrator', 'whoami']);
    const kp = runs.get('keyplate')!;
    assert.ok(kp.includes(` -v ${join(REPO, 'examples/etcd-haproxy')}:/etc/keyplate:ro `), kp);
    assert.ok(kp.includes(' -e ETCD_NODE=http://etcd:2379 '), kp);
    assert.ok(kp.includes(' -p 8080:80 '), kp);
    assert.ok(kp.endsWith(` ${IMAGE}`), `runs the image it builds: ${kp}`);
    assert.match(runs.get('etcd')!, / --enable-v2=true /);
    assert.match(runs.get('registrator')!, / etcd:\/\/etcd:2379\/services$/);
    assert.match(runs.get('whoami')!, / -e SERVICE_NAME=whoami /);
  });

  it('examples/rancher/docker-compose.yml: --dry-run up runs one HTTP container with the preset variables', async () => {
    const runs = await dryRun('examples/rancher/docker-compose.yml', `kpran${process.pid}`, []);
    assert.deepEqual([...runs.keys()], ['HTTP']);
    const http = runs.get('HTTP')!;
    for (const want of [' -e STACK_DOMAIN=dev.example.com ', ' -e ENABLE_SSL=true ', ' -e KEYPLATE_LISTEN=0.0.0.0:9100 ', ' -e HAPROXY_STOP_TIMEOUT=8s ', ' -p 80:80/tcp ', ' -p 443:443/tcp ']) {
      assert.ok(http.includes(want), `${want.trim()} in ${http}`);
    }
    assert.match(http, / registry\.example\.com\/keyplate:0\.1\.0$/);
  });
});
