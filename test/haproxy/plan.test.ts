/** Unit tests: config tokenizer, model, and the runtime-or-reload decision (no HAProxy needed). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenizeLine } from '../../src/haproxy/config-parse.ts';
import { parseServersState, parseShowMap, parseShowProc } from '../../src/haproxy/runtime-answers.ts';
import { cliArg } from '../../src/haproxy/runtime-socket.ts';
import { planApply } from '../../src/haproxy/plan.ts';
import { snapshotOf } from '../../src/haproxy/snapshot.ts';

const OPTS = { configFiles: ['/etc/h/haproxy.cfg'], cwd: '/etc/h' };

interface Be {
  readonly balance?: string;
  readonly extra?: string[];
  readonly servers: string[];
}
function cfg(backends: Record<string, Be>, opts: { global?: string[]; defaults?: string[]; conv?: string } = {}): string {
  const out = [
    'global',
    '    stats socket /run/h/admin.sock mode 600 level admin expose-fd listeners',
    '    hard-stop-after 30s  # bound old workers',
    ...(opts.global ?? []).map((l) => `    ${l}`),
    'defaults',
    '    mode http',
    ...(opts.defaults ?? []).map((l) => `    ${l}`),
    'frontend fe',
    '    bind :80',
    `    use_backend %[req.hdr(host),lower,${opts.conv ?? 'map'}(/etc/h/hosts.map,fallback)]`,
    'backend fallback',
  ];
  for (const [name, b] of Object.entries(backends)) {
    out.push(`backend ${name}`);
    if (b.balance) out.push(`    balance ${b.balance}`);
    for (const l of b.extra ?? []) out.push(`    ${l}`);
    for (const s of b.servers) out.push(`    server ${s}`);
  }
  return `${out.join('\n')}\n`;
}
function model(config: string, map = 'a.example be_a\n', extra: Record<string, string> = {}) {
  return snapshotOf({ '/etc/h/haproxy.cfg': config, '/etc/h/hosts.map': map, ...extra }, OPTS).model;
}
const A = { be_a: { balance: 'roundrobin', servers: ['a1 10.0.0.1:80 id 1 check'] } };

describe('config tokenizer and model', () => {
  it('handles comments, quotes and escapes', () => {
    assert.deepEqual(tokenizeLine(`  http-request return string "a # b" # comment`), ['http-request', 'return', 'string', 'a # b']);
    assert.deepEqual(tokenizeLine(`acl x hdr(a) -m str 'q"\\x' a\\ b`), ['acl', 'x', 'hdr(a)', '-m', 'str', 'q"\\x', 'a b']);
  });

  it('models backends, servers, maps and the admin socket', () => {
    const m = model(cfg({ ...A, be_s: { balance: 'source', servers: ['s1 10.0.0.2:80 weight 5 disabled'] } }));
    assert.equal(m.adminSocket, '/run/h/admin.sock');
    const a = m.proxies.get('be_a');
    assert.equal(a?.dynamic, true);
    assert.deepEqual(a?.servers.get('a1'), { name: 'a1', address: '10.0.0.1:80', host: '10.0.0.1', port: 80, id: 1, weight: undefined, disabled: false, options: ['check'], where: '/etc/h/haproxy.cfg:12' });
    const s = m.proxies.get('be_s');
    assert.equal(s?.dynamic, false);
    assert.equal(s?.servers.get('s1')?.weight, 5);
    assert.equal(s?.servers.get('s1')?.disabled, true);
    assert.deepEqual([...m.mapRefs.keys()], ['/etc/h/hosts.map']);
    assert.deepEqual(m.maps.get('/etc/h/hosts.map'), [['a.example', 'be_a']]);
  });

  it('balance is inherited from defaults; hash-type consistent makes hashing dynamic', () => {
    const m = model(cfg({ be_h: { servers: [] }, be_c: { balance: 'hdr(host)', extra: ['hash-type consistent'], servers: [] } }, { defaults: ['balance static-rr'] }));
    assert.equal(m.proxies.get('be_h')?.balance, 'static-rr');
    assert.equal(m.proxies.get('be_h')?.dynamic, false);
    assert.equal(m.proxies.get('be_c')?.balance, 'hdr');
    assert.equal(m.proxies.get('be_c')?.dynamic, true);
  });
});

describe('planApply', () => {
  it('nothing changed (comments and spacing do not count)', () => {
    const p = planApply(model(cfg(A)), model(cfg(A).replace('# bound old workers', '').replace('bind :80', 'bind   :80')));
    assert.equal(p.method, 'none');
  });

  it('server added to a roundrobin backend → runtime add server, never "enabled"', () => {
    const next = { be_a: { ...A.be_a, servers: [...A.be_a.servers, 'a2 10.0.0.3:8080 id 2 weight 10 check inter 2s'] } };
    const p = planApply(model(cfg(A)), model(cfg(next)));
    assert.equal(p.method, 'runtime');
    assert.deepEqual(p.commands, [
      'add server be_a/a2 10.0.0.3:8080 id 2 weight 10 check inter 2s pool-purge-delay 5s pool-max-conn -1',
      'enable health be_a/a2',
      'set server be_a/a2 state ready',
    ]);
    assert.ok(!p.commands.join(' ').includes('enabled'));
  });

  it('server removed → drain, maint, del server', () => {
    const p = planApply(model(cfg({ be_a: { servers: ['a1 10.0.0.1:80', 'a2 10.0.0.2:80'] } })), model(cfg({ be_a: { servers: ['a1 10.0.0.1:80'] } })));
    assert.equal(p.method, 'runtime');
    assert.deepEqual(p.commands, ['set server be_a/a2 state drain', 'set server be_a/a2 state maint', 'del server be_a/a2']);
  });

  it('address, weight and disabled changes → set server', () => {
    const p = planApply(model(cfg({ be_a: { servers: ['a1 10.0.0.1:80 weight 1'] } })), model(cfg({ be_a: { servers: ['a1 10.0.0.9:81 weight 7 disabled'] } })));
    assert.deepEqual(p.commands, ['set server be_a/a1 addr 10.0.0.9 port 81', 'set server be_a/a1 weight 7', 'set server be_a/a1 state maint']);
  });

  it('changed options → re-create the server under the same name', () => {
    const p = planApply(model(cfg(A)), model(cfg({ be_a: { ...A.be_a, servers: ['a1 10.0.0.1:80 id 1 check inter 5s'] } })));
    assert.equal(p.method, 'runtime');
    assert.equal(p.ops[0].kind, 'server-del');
    assert.equal(p.ops[1].kind, 'server-add');
  });

  it('map entries for existing backends → add/set/del map', () => {
    const p = planApply(model(cfg(A), 'a.example be_a\nb.example be_a\nc.example be_a\n'), model(cfg(A), 'a.example be_a\nb.example fallback\nd.example be_a\n'));
    assert.equal(p.method, 'runtime');
    assert.deepEqual(p.commands, ['set map /etc/h/hosts.map b.example fallback', 'add map /etc/h/hosts.map d.example be_a', 'del map /etc/h/hosts.map c.example']);
  });

  it('many map changes, duplicates, or a reorder of an ordered matcher → one atomic swap', () => {
    const many = Array.from({ length: 60 }, (_, i) => `h${i}.example be_a`).join('\n');
    assert.equal(planApply(model(cfg(A)), model(cfg(A), many)).ops[0].kind, 'map-replace');
    assert.equal(planApply(model(cfg(A)), model(cfg(A), 'a.example be_a\na.example fallback\n')).ops[0].kind, 'map-replace');
    const dom = (m: string) => model(cfg(A, { conv: 'map_dom' }), m);
    assert.equal(planApply(dom('a.example be_a\nz.example be_a\n'), dom('a.example be_a\nm.example be_a\nz.example be_a\n')).ops[0].kind, 'map-replace');
    assert.equal(planApply(dom('a.example be_a\n'), dom('a.example be_a\nm.example be_a\n')).ops[0].kind, 'map-add');
  });

  const reloads: Array<[string, () => [string, string, string?, string?]]> = [
    ['a new backend', () => [cfg(A), cfg({ ...A, be_b: { servers: [] } })]],
    ['a removed backend', () => [cfg({ ...A, be_b: { servers: [] } }), cfg(A)]],
    ['a global change', () => [cfg(A), cfg(A, { global: ['maxconn 100'] })]],
    ['a backend setting', () => [cfg(A), cfg({ be_a: { ...A.be_a, extra: ['option httpchk'] } })]],
    ['a server in a static-rr backend', () => [cfg({ be_a: { balance: 'static-rr', servers: [] } }), cfg({ be_a: { balance: 'static-rr', servers: ['x 10.0.0.1:80'] } })]],
    ['a server with cookie', () => [cfg(A), cfg({ be_a: { servers: [...A.be_a.servers, 'a2 10.0.0.2:80 cookie a2'] } })]],
    ['a server with an FQDN', () => [cfg(A), cfg({ be_a: { servers: [...A.be_a.servers, 'a2 app.internal:80'] } })]],
    ['default-server in the backend', () => [cfg({ be_a: { extra: ['default-server check'], servers: [] } }), cfg({ be_a: { extra: ['default-server check'], servers: ['x 10.0.0.1:80'] } })]],
    ['a watched extra file', () => [cfg(A), cfg(A), 'cert-1', 'cert-2']],
  ];
  for (const [what, make] of reloads) {
    it(`reloads for ${what}`, () => {
      const [a, b, ea, eb] = make();
      const p = planApply(model(a, undefined, ea ? { '/etc/h/cert.pem': ea } : {}), model(b, undefined, eb ? { '/etc/h/cert.pem': eb } : {}));
      assert.equal(p.method, 'reload', JSON.stringify(p));
      assert.ok(p.reasons.length > 0 && p.ops.length === 0);
    });
  }

  it('a batch with one reload-requiring change reloads only (no runtime commands)', () => {
    const p = planApply(model(cfg(A)), model(cfg({ ...A, be_b: { servers: [] } }), 'a.example be_a\nb.example be_b\n'));
    assert.equal(p.method, 'reload');
    assert.deepEqual(p.reasons, ['new backend be_b', '(1 runtime-capable change(s) are included in the reload)']);
  });
});

describe('CLI helpers', () => {
  it('escapes arguments and parses 2.6 replies', () => {
    assert.equal(cliArg('be x;y\\z'), 'be\\ x\\;y\\\\z');
    assert.throws(() => cliArg('a\nb'));
    const proc = parseShowProc(
      '#<PID>          <type>          <reloads>       <uptime>        <version>\n14443           master          9 [failed: 1]   0d00h03m25s     2.6.12\n# workers\n18636           worker          1               0d00h00m39s     2.6.12\n# old workers\n7194 worker 5 0d 2.6\n# programs\n',
    );
    assert.deepEqual(proc, { masterPid: 14443, reloads: 9, failed: 1, workers: [18636], oldWorkers: [7194] });
    const st = parseServersState('1\n# be_id be_name ...\n4 be_a 2 a2 127.0.0.1 2 0 20 10 1 1 0 0 0 0 0 1 - 27183 - 0 0 - - 0\n');
    assert.deepEqual(st, [{ backend: 'be_a', id: 2, name: 'a2', addr: '127.0.0.1', opState: 2, adminState: 0, weight: 20, port: 27183 }]);
    assert.deepEqual(parseShowMap('0x55fe a.example be_a\n0x7f95 sp.example be x;y\n'), [['a.example', 'be_a'], ['sp.example', 'be x;y']]);
  });
});
