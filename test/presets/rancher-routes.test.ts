import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFlag, parsePort, rancherRoutes } from '../../src/presets/rancher-haproxy.ts';
import { MemoryTree } from '../../src/tree/tree.ts';

const settings = { domain: 'Dev.TLD', label: 'map-public-http', proxyLabel: 'proxy_protocol', states: ['running'] };

function container(tree: MemoryTree, name: string, f: Record<string, string>) {
  const d = { state: 'running', stack_name: 'app', service_name: 'web', uuid: `0000${name.length}-aaaa`, primary_ip: '10.42.0.1', ...f };
  for (const [k, v] of Object.entries(d)) if (!k.startsWith('label:')) tree.set(`/containers/${name}/${k}`, v);
  for (const [k, v] of Object.entries(d)) if (k.startsWith('label:')) tree.set(`/containers/${name}/labels/${k.slice(6)}`, v);
}

describe('rancherRoutes', () => {
  it('routes labelled running containers by stack, most specific host first', () => {
    const t = new MemoryTree();
    container(t, 'a-web-1', { stack_name: 'a', uuid: 'ae01', primary_ip: '10.0.0.1', 'label:map-public-http': '80' });
    container(t, 'shop-web-1', { stack_name: 'Shop', uuid: 'ae02', primary_ip: '10.0.0.2', 'label:map-public-http': '8080', 'label:proxy_protocol': 'send-proxy' });
    container(t, 'shop-web-2', { stack_name: 'shop', uuid: 'ae03', state: 'stopped', 'label:map-public-http': '8080' });
    container(t, 'nolabel-1', { stack_name: 'quiet' });
    t.set('/self/service/metadata/aliases/a/0', 'b.A');
    t.set('/self/service/metadata/aliases/a/1', 'www');
    const r = rancherRoutes(t, settings);
    assert.deepEqual(r.backends.map((b) => [b.name, b.servers.map((s) => `${s.name} ${s.address}:${s.port} ${s.proxy}`)]), [
      ['a', ['web-ae01 10.0.0.1:80 ']],
      ['shop', ['web-ae02 10.0.0.2:8080 send-proxy']],
    ]);
    assert.deepEqual(r.map.map((m) => `${m.host} ${m.backend}`), ['b.a.dev.tld a', 'a.dev.tld a', 'shop.dev.tld shop', 'www.dev.tld a']);
    assert.deepEqual(r.skipped.map((s) => s.container), ['shop-web-2']);
  });

  it('rejects hostile values and keeps the rest', () => {
    const t = new MemoryTree();
    container(t, 'ok', { stack_name: 'good', uuid: 'ae00', 'label:map-public-http': '80' });
    container(t, 'newline', { stack_name: 'x1', uuid: 'ae01', 'label:map-public-http': '80\n  stats enable' });
    container(t, 'zero', { stack_name: 'x2', uuid: 'ae02', 'label:map-public-http': '0' });
    container(t, 'big', { stack_name: 'x3', uuid: 'ae03', 'label:map-public-http': '99999' });
    container(t, 'words', { stack_name: 'x4', uuid: 'ae04', 'label:map-public-http': '80 check' });
    container(t, 'space', { stack_name: 'bad stack', uuid: 'ae05', 'label:map-public-http': '80' });
    container(t, 'hash', { stack_name: 'bad#stack', uuid: 'ae06', 'label:map-public-http': '80' });
    container(t, 'proxy', { stack_name: 'x7', uuid: 'ae07', 'label:map-public-http': '80', 'label:proxy_protocol': 'send-proxy\nbackend evil' });
    container(t, 'noip', { stack_name: 'x8', uuid: 'ae08', primary_ip: 'null', 'label:map-public-http': '80' });
    t.set('/self/service/metadata/aliases/good/0', 'evil\n  stats enable');
    const r = rancherRoutes(t, settings);
    assert.deepEqual(r.backends.map((b) => b.name), ['good']);
    assert.deepEqual(r.map.map((m) => m.host), ['good.dev.tld']);
    assert.deepEqual(r.skipped.map((s) => s.container).sort(), ['alias of stack good', 'big', 'hash', 'newline', 'noip', 'proxy', 'space', 'words', 'zero']);
  });

  it('refuses an invalid STACK_DOMAIN', () => {
    assert.throws(() => rancherRoutes(new MemoryTree(), { ...settings, domain: 'none here' }), /STACK_DOMAIN/);
    assert.throws(() => rancherRoutes(new MemoryTree(), { ...settings, domain: 'none' }), /STACK_DOMAIN is not set/, 'the image default "none" means unset');
  });
});

describe('parsePort / parseFlag', () => {
  it('accepts only plain integers 1-65535', () => {
    assert.equal(parsePort('80'), 80);
    assert.equal(parsePort('65535'), 65535);
    for (const bad of ['0', '65536', '99999', '80 ', ' 80', '+80', '8o', '', '80\n']) assert.equal(parsePort(bad), undefined, bad);
  });
  it('reads true/false, 1/0, yes/no, on/off and refuses the rest', () => {
    for (const v of ['true', 'TRUE', '1', 'yes', 'On']) assert.equal(parseFlag(v, false), true);
    for (const v of ['false', '0', 'no', 'OFF']) assert.equal(parseFlag(v, true), false);
    assert.equal(parseFlag(undefined, true), true);
    assert.equal(parseFlag('', false), false);
    assert.throws(() => parseFlag('maybe', false, 'ENABLE_SSL'), /ENABLE_SSL="maybe" is not a boolean/);
  });
});
