import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DnsResolver, SrvRecord } from '../../src/template/index.ts';
import { srvName, systemResolver } from '../../src/template/dns.ts';
import { render } from './render.ts';

/** A fake resolver that records calls; answers come from tables, unknown names fail. */
function fakeResolver(ips: Record<string, string[]>, srv: Record<string, SrvRecord[]> = {}) {
  const calls: string[] = [];
  const resolver: DnsResolver = {
    async lookupIP(host) {
      calls.push(`ip:${host}`);
      if (!ips[host]) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return ips[host];
    },
    async lookupSRV(service, proto, name) {
      const q = srvName(service, proto, name);
      calls.push(`srv:${q}`);
      if (!srv[q]) throw new Error(`querySrv ENOTFOUND ${q}`);
      return srv[q];
    },
  };
  return { resolver, calls };
}

describe('DNS lookups (two-pass render)', () => {
  it('lookupIP resolves through the injected resolver, sorted, each name once', async () => {
    const { resolver, calls } = fakeResolver({ 'db.local': ['10.0.0.9', '10.0.0.10', '10.0.0.2'] });
    const out = await render('{% for ip in lookupIP("db.local") %}server {{ ip }}\n{% endfor %}{{ lookupIP("db.local") | length }}', {}, { resolver });
    assert.equal(out, 'server 10.0.0.10\nserver 10.0.0.2\nserver 10.0.0.9\n3');
    assert.deepEqual(calls, ['ip:db.local']);
  });
  it('output does not depend on the order DNS returns addresses in', async () => {
    const a = fakeResolver({ h: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] });
    const b = fakeResolver({ h: ['10.0.0.3', '10.0.0.1', '10.0.0.2'] });
    const src = '{{ lookupIP("h") | join(",") }}';
    assert.equal(await render(src, {}, { resolver: a.resolver }), await render(src, {}, { resolver: b.resolver }));
  });
  it('lookupIPV4 / lookupIPV6 filter by family; filter form works', async () => {
    const { resolver } = fakeResolver({ h: ['2001:db8::1', '10.0.0.1', '::1'] });
    assert.equal(await render('{{ lookupIPV4("h") | join(",") }}|{{ lookupIPV6("h") | join(",") }}|{{ "h" | lookupIP | length }}', {}, { resolver }), '10.0.0.1|2001:db8::1,::1|3');
  });
  it('a failed lookup yields an empty list, not an error (confd)', async () => {
    const { resolver } = fakeResolver({});
    assert.equal(await render('[{{ lookupIP("nope.invalid") | join(",") }}]{% if not lookupIP("nope.invalid") %}none{% endif %}', {}, { resolver }), '[]none');
  });
  it('lookups that depend on earlier answers take extra passes', async () => {
    const { resolver, calls } = fakeResolver({ first: ['second'], second: ['10.1.1.1'] });
    assert.equal(await render('{% for n in lookupIP("first") %}{{ lookupIP(n) | join(",") }}{% endfor %}', {}, { resolver }), '10.1.1.1');
    assert.deepEqual(calls, ['ip:first', 'ip:second']);
  });
  it('gives up after maxPasses when lookups keep discovering new names', async () => {
    const { resolver } = fakeResolver({ a: ['b'], b: ['c'], c: ['d'], d: ['e'] });
    const src = '{% for x in lookupIP("a") %}{% for y in lookupIP(x) %}{% for z in lookupIP(y) %}{{ lookupIP(z) }}{% endfor %}{% endfor %}{% endfor %}';
    await assert.rejects(render(src, {}, { resolver, maxPasses: 3 }), /DNS lookups still unresolved after 3 render passes/);
  });
  it('a lookup that outlives the timeout yields [] and the render completes', async () => {
    let aborted = false;
    const resolver: DnsResolver = {
      lookupIP: (_h, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => { aborted = true; reject(signal.reason); })),
      lookupSRV: async () => [],
    };
    assert.equal(await render('[{{ lookupIP("slow") | join(",") }}]', {}, { resolver, dnsTimeoutMs: 50 }), '[]');
    assert.equal(aborted, true);
  });
  it('lookupSRV returns Go-shaped records sorted by target+port+priority+weight', async () => {
    const { resolver, calls } = fakeResolver({}, {
      '_etcd._tcp.example.com': [
        { target: 'b.example.com', port: 2379, priority: 0, weight: 10 },
        { target: 'a.example.com', port: 2380, priority: 0, weight: 10 },
        { target: 'a.example.com', port: 2379, priority: 1, weight: 5 },
      ],
    });
    const out = await render('{% for s in lookupSRV("etcd", "tcp", "example.com") %}{{ s.Target }}:{{ s.Port }}/{{ s.Priority }}/{{ s.weight }} {% endfor %}', {}, { resolver });
    assert.equal(out, 'a.example.com.:2379/1/5 a.example.com.:2380/0/10 b.example.com.:2379/0/10 ');
    assert.deepEqual(calls, ['srv:_etcd._tcp.example.com']);
    assert.equal(await render('{{ lookupSRV("x", "tcp", "nope") | length }}', {}, { resolver }), '0');
  });
  it('srvName follows Go: empty service and proto query the name directly', () => {
    assert.equal(srvName('', '', 'x.example'), 'x.example');
    assert.equal(srvName('http', 'tcp', 'x.example'), '_http._tcp.x.example');
  });
  it('an aborted render stops with the abort reason', async () => {
    const ctl = new AbortController();
    const resolver: DnsResolver = {
      lookupIP: (_h, signal) => new Promise((_, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason));
        ctl.abort(new Error('shutting down'));
      }),
      lookupSRV: async () => [],
    };
    const { engine } = await import('./render.ts');
    const { MemoryTree } = await import('../../src/tree/tree.ts');
    await assert.rejects(engine({ resolver }).renderString('{{ lookupIP("h") }}', 't', { resource: 'r', tree: new MemoryTree(), signal: ctl.signal }), /shutting down/);
  });

  it('the default resolver answers localhost from the system resolver (/etc/hosts)', async () => {
    const ips = await systemResolver().lookupIP('localhost', new AbortController().signal);
    assert.ok(ips.some((ip) => ip === '127.0.0.1' || ip === '::1'), `localhost resolved to ${ips.join(',')}`);
  });
});
