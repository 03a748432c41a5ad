import { strict as assert } from 'node:assert';
import { describe, test, type TestContext } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { CALLER_HEADER, startRancherMetadata, type RancherMetadataEmulator, type RancherMetadataOptions } from './rancher-metadata.ts';
import { MetadataBuilder, rancherHaproxyWorld } from './world.ts';

const JSON_ACCEPT = 'application/json';

async function start(t: TestContext, opts: RancherMetadataOptions = {}): Promise<RancherMetadataEmulator> {
  const emu = await startRancherMetadata({
    world: rancherHaproxyWorld({ aliases: { app1: ['www', 'alt'] }, sslCert: 'CERT\n', sslKey: 'KEY\n', apps: [{ stack: 'app1', containers: 2 }] }),
    ...opts,
  });
  t.after(() => emu.close());
  return emu;
}

async function get(emu: RancherMetadataEmulator, path: string, h: { accept?: string; caller?: string } = {}) {
  const headers: Record<string, string> = {};
  if (h.accept) headers.accept = h.accept;
  if (h.caller) headers[CALLER_HEADER] = h.caller;
  const res = await fetch(emu.url + path, { headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

describe('rancher metadata emulator: formats', () => {
  test('JSON with Accept: application/json, plain text otherwise', async (t) => {
    const emu = await start(t);
    const text = await get(emu, '/2015-12-19/containers');
    assert.equal(text.status, 200);
    assert.equal(text.body, '0=proxy-HTTP-1\n1=proxy-HTTP-HTTP-generate-maps-1\n2=app1-nginx-1\n3=app1-nginx-2\n');
    assert.equal(text.headers.get('access-control-allow-origin'), '*');
    const json = await get(emu, '/2015-12-19/containers', { accept: JSON_ACCEPT });
    const list = JSON.parse(json.body) as Array<Record<string, unknown>>;
    assert.deepEqual(list.map((c) => c.name), ['proxy-HTTP-1', 'proxy-HTTP-HTTP-generate-maps-1', 'app1-nginx-1', 'app1-nginx-2']);
    assert.ok(!json.body.endsWith('\n'), 'Go json.Marshal adds no newline');
    assert.deepEqual(Object.keys(list[2]), Object.keys(list[2]).sort(), 'map keys sorted');
    // */* and no Accept negotiate text/plain; application/* picks JSON.
    assert.equal((await get(emu, '/2015-12-19/version', { accept: '*/*' })).body, emu.version);
    assert.equal((await get(emu, '/2015-12-19/version', { accept: 'application/*' })).body, `"${emu.version}"`);
  });

  test('text rendering of scalars, maps and arrays', async (t) => {
    const emu = await start(t);
    assert.equal((await get(emu, '/2015-12-19/self/host/agent_ip')).body, '172.17.0.1');
    assert.equal((await get(emu, '/2015-12-19/self/service/metadata/ssl_cert')).body, 'CERT\n');
    assert.equal((await get(emu, '/2015-12-19/containers/0/health_state')).body, '', 'null → empty body');
    assert.equal((await get(emu, '/2015-12-19/containers/0/create_index')).body, '1');
    assert.equal((await get(emu, '/2015-12-19/containers/0/system')).body, 'false');
    assert.equal((await get(emu, '/2015-12-19/containers/app1-nginx-1/ips')).body, '0\n');
    const root = (await get(emu, '/2015-12-19')).body;
    assert.equal(root, 'containers/\nhosts/\nself/\nservices/\nstacks/\nversion\n');
    assert.equal((await get(emu, '/')).body, '2015-07-25/\n2015-12-19/\n2016-07-29/\nlatest/\n');
    const labels = (await get(emu, '/2015-12-19/containers/app1-nginx-1/labels')).body;
    assert.ok(labels.split('\n').includes('map-public-http'), labels);
    assert.equal((await get(emu, '/2015-12-19/self/service/metadata/aliases/app1')).body, '0\n1\n');
  });

  test('Go JSON escaping and url.QueryEscape of text keys', async (t) => {
    const emu = await start(t);
    emu.update((w) => {
      w.containers[2].labels['a b<&>'] = '<x&y>';
    });
    const json = await get(emu, '/2015-12-19/containers/app1-nginx-1/labels', { accept: JSON_ACCEPT });
    assert.ok(json.body.includes('"a b\\u003c\\u0026\\u003e":"\\u003cx\\u0026y\\u003e"'), json.body);
    const text = await get(emu, '/2015-12-19/containers/app1-nginx-1/labels');
    assert.ok(text.body.split('\n').includes('a+b%3C%26%3E'), text.body);
  });

  test('404 bodies: text, JSON, YAML, Invalid version; 400 on bad escaping', async (t) => {
    const emu = await start(t);
    const text = await get(emu, '/2015-12-19/self/service/metadata/nope');
    assert.equal(text.status, 404);
    assert.equal(text.body, 'Not found\n');
    assert.equal(text.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(text.headers.get('content-type'), 'text/plain; charset=utf-8');
    const json = await get(emu, '/2015-12-19/containers/nope', { accept: JSON_ACCEPT });
    assert.equal(json.body, '{"code":404,"message":"Not found","type":"error"}\n');
    const yaml = await get(emu, '/2015-12-19/nope', { accept: 'application/yaml' });
    assert.equal(yaml.body, 'code: 404\nmessage: Not found\ntype: error\n\n');
    const badVersion = await get(emu, '/2014-01-01/containers');
    assert.deepEqual([badVersion.status, badVersion.body], [404, 'Invalid version\n']);
    assert.equal((await get(emu, '/2015-12-19/containers/%zz')).status, 400);
    assert.equal((await get(emu, '/favicon.ico')).status, 404);
  });

  test('HEAD and trailing slashes', async (t) => {
    const emu = await start(t);
    const res = await fetch(`${emu.url}/2015-12-19/self/host/agent_ip`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
    assert.equal((await get(emu, '/2015-12-19/self/host/agent_ip/')).body, '172.17.0.1');
    assert.equal((await fetch(`${emu.url}/2015-12-19/version`, { method: 'POST' })).status, 405);
  });
});

describe('rancher metadata emulator: addressing and versions', () => {
  test('arrays by index, name and uuid; lower-case retry', async (t) => {
    const emu = await start(t);
    const c = emu.container('app1-nginx-2');
    for (const ref of ['3', 'app1-nginx-2', c.uuid]) {
      assert.equal((await get(emu, `/2015-12-19/containers/${ref}/name`)).body, 'app1-nginx-2', ref);
    }
    assert.equal((await get(emu, '/2015-12-19/containers/9/name')).status, 404);
    assert.equal((await get(emu, '/2015-12-19/stacks/app1/services/nginx/containers/0/primary_ip')).body, emu.container('app1-nginx-1').primary_ip);
    // V3 lower-cases names; a mixed-case request still finds them through the lower-case retry.
    assert.equal((await get(emu, '/2016-07-29/services/HTTP/name')).body, 'http');
    assert.equal((await get(emu, '/2015-12-19/services/HTTP/name')).body, 'HTTP');
  });

  test('V1 lists names, V2/V3 objects; latest is 2016-07-29', async (t) => {
    const emu = await start(t);
    const v1 = JSON.parse((await get(emu, '/2015-07-25/services/nginx/containers', { accept: JSON_ACCEPT })).body);
    assert.deepEqual(v1, ['app1-nginx-1', 'app1-nginx-2']);
    const v2 = JSON.parse((await get(emu, '/2015-12-19/stacks/proxy/services', { accept: JSON_ACCEPT })).body);
    assert.equal(v2[0].name, 'HTTP');
    assert.equal(v2[0].containers[0].name, 'proxy-HTTP-1');
    assert.deepEqual(v2[0].metadata.aliases, { app1: ['www', 'alt'] });
    assert.equal((await get(emu, '/2015-12-19/hosts/0/hostId')).body, '1');
    assert.equal((await get(emu, '/2016-07-29/hosts/0/hostId')).status, 404);
    assert.equal((await get(emu, '/2015-12-19/containers/proxy-HTTP-1/ports/0')).body, '172.17.0.1:80:80/tcp');
    assert.equal((await get(emu, '/latest/containers/proxy-http-1/ports/0')).body, '0.0.0.0:80:80/tcp');
    assert.equal((await get(emu, '/2015-12-19/self/service/token')).status, 200);
    assert.equal((await get(emu, '/2015-12-19/services/HTTP/token')).status, 404, 'token only under self');
  });

  test('self is per caller (IP or test override); no entry → 404', async (t) => {
    const world = new MetadataBuilder()
      .container('a', 'web', { name: 'a-web-1' })
      .container('b', 'db', { name: 'b-db-1' })
      .self('a-web-1', '10.0.0.1')
      .self('b-db-1', '10.0.0.2')
      .build();
    const emu = await start(t, { world });
    assert.equal((await get(emu, '/2015-12-19/self/container/name', { caller: '10.0.0.1' })).body, 'a-web-1');
    assert.equal((await get(emu, '/2015-12-19/self/stack/name', { caller: '10.0.0.2' })).body, 'b');
    assert.equal((await get(emu, '/2015-12-19/self/container/name')).status, 404, '127.0.0.1 has no self');
    emu.setSelf('b-db-1', '127.0.0.1');
    assert.equal((await get(emu, '/2015-12-19/self/container/name')).body, 'b-db-1', 'by source IP');
  });

  test('static answers file: default merged with the caller entry, latest = highest', async (t) => {
    const emu = await startRancherMetadata({
      answers: {
        '2015-12-19': { default: { containers: [{ name: 'x' }] }, '127.0.0.1': { self: { host: { agent_ip: '1.2.3.4' } } } },
      },
    });
    t.after(() => emu.close());
    assert.equal((await get(emu, '/2015-12-19/self/host/agent_ip')).body, '1.2.3.4');
    assert.equal((await get(emu, '/latest/containers')).body, '0=x\n');
    assert.equal((await get(emu, '/2015-12-19/self/host/agent_ip', { caller: '10.9.9.9' })).status, 404);
    const before = emu.version;
    emu.setAnswers({ '2015-12-19': { default: { containers: [] } } });
    assert.notEqual(emu.version, before);
    assert.equal((await get(emu, '/2015-12-19/containers', { accept: JSON_ACCEPT })).body, '[]');
  });
});

describe('rancher metadata emulator: long poll', () => {
  const waitUrl = (emu: RancherMetadataEmulator, value: string, maxWait?: number) =>
    `/2015-12-19/version?wait=true&value=${encodeURIComponent(value)}${maxWait ? `&maxWait=${maxWait}` : ''}`;

  test('answers at once when the value already differs', async (t) => {
    const emu = await start(t);
    const r = await get(emu, waitUrl(emu, 'stale'), { accept: JSON_ACCEPT });
    assert.equal(r.body, JSON.stringify(emu.version));
  });

  test('returns on a change (container added)', { timeout: 20_000 }, async (t) => {
    const emu = await start(t);
    const before = emu.version;
    const pending = get(emu, waitUrl(emu, before), { accept: JSON_ACCEPT }); // default maxWait 60 s
    await waitFor(() => emu.pendingLongPolls === 1, { message: 'long poll pending' });
    emu.addContainer('app2', 'web', { labels: { 'map-public-http': '8080' } });
    const r = await pending;
    assert.equal(r.status, 200);
    assert.notEqual(JSON.parse(r.body), before);
    assert.equal(JSON.parse(r.body), emu.version);
    assert.equal(emu.pendingLongPolls, 0);
  });

  test('returns the same value after maxWait', { timeout: 20_000 }, async (t) => {
    const emu = await start(t);
    const started = Date.now();
    const r = await get(emu, waitUrl(emu, emu.version, 1), { accept: JSON_ACCEPT });
    assert.equal(JSON.parse(r.body), emu.version);
    assert.ok(Date.now() - started >= 900, 'waited for maxWait');
  });

  test('any path can be long-polled; a path that vanishes answers 404 on timeout', { timeout: 20_000 }, async (t) => {
    const emu = await start(t);
    const pending = get(emu, '/2015-12-19/containers/app1-nginx-1/state?wait=true&value=running&maxWait=1');
    await waitFor(() => emu.pendingLongPolls === 1);
    emu.stopContainer('app1-nginx-1');
    assert.equal((await pending).body, 'stopped');
    const gone = get(emu, '/2015-12-19/containers/app1-nginx-2/state?wait=true&value=running&maxWait=1');
    await waitFor(() => emu.pendingLongPolls === 1);
    emu.removeContainer('app1-nginx-2');
    assert.equal((await gone).status, 404);
  });

  test('a server without long poll support answers at once', async (t) => {
    const emu = await start(t, { longPoll: false });
    const r = await get(emu, waitUrl(emu, emu.version, 60), { accept: JSON_ACCEPT });
    assert.equal(JSON.parse(r.body), emu.version);
    assert.equal(emu.pendingLongPolls, 0);
  });

  test('close() ends pending long polls', { timeout: 20_000 }, async (t) => {
    const emu = await start(t);
    const pending = fetch(emu.url + waitUrl(emu, emu.version, 100)).then((r) => r.text());
    await waitFor(() => emu.pendingLongPolls === 1);
    await emu.close();
    await assert.rejects(pending);
    assert.equal(emu.pendingLongPolls, 0);
    await emu.close(); // idempotent
  });
});

describe('rancher metadata emulator: failures on demand', () => {
  test('refused, then recovered on the same port', async (t) => {
    const emu = await start(t);
    const port = emu.port;
    await emu.fail('refuse');
    await assert.rejects(fetch(`${emu.url}/2015-12-19/version`), (e: Error & { cause?: { code?: string } }) => e.cause?.code === 'ECONNREFUSED');
    await emu.recover();
    assert.equal(emu.port, port);
    assert.equal((await get(emu, '/2015-12-19/version')).body, emu.version);
  });

  test('500, truncated JSON, empty containers, reset, hang (scoped and counted)', async (t) => {
    const emu = await start(t);
    await emu.fail('status-500', { times: 1 });
    const r500 = await get(emu, '/2015-12-19/containers');
    assert.deepEqual([r500.status, r500.body], [500, 'Internal Server Error\n']);
    assert.equal((await get(emu, '/2015-12-19/containers')).status, 200, 'times: 1 recovers by itself');

    await emu.fail('truncate', { match: /containers$/ });
    const cut = await get(emu, '/2015-12-19/containers', { accept: JSON_ACCEPT });
    assert.equal(cut.status, 200);
    assert.throws(() => JSON.parse(cut.body));
    assert.equal((await get(emu, '/2015-12-19/version')).status, 200, 'other paths unaffected');

    await emu.fail('empty-containers');
    assert.equal((await get(emu, '/2015-12-19/containers', { accept: JSON_ACCEPT })).body, '[]');
    assert.equal((await get(emu, '/2015-12-19/services/nginx/name')).body, 'nginx');

    await emu.fail('reset', { times: 1 });
    await assert.rejects(fetch(`${emu.url}/2015-12-19/version`));

    await emu.fail('hang', { times: 1 });
    await assert.rejects(fetch(`${emu.url}/2015-12-19/version`, { signal: AbortSignal.timeout(300) }));
    await emu.recover();
    assert.equal((await get(emu, '/2015-12-19/version')).status, 200);
  });

  test('every mutation bumps the version; requests are recorded', async (t) => {
    const emu = await start(t);
    const seen = new Set([emu.version]);
    const c = emu.addContainer('app9', 'web');
    seen.add(emu.version);
    emu.stopContainer(c.name);
    seen.add(emu.version);
    emu.setServiceMetadata('proxy', 'HTTP', { aliases: { app9: ['x'] } });
    seen.add(emu.version);
    emu.removeContainer(c.uuid);
    seen.add(emu.version);
    emu.touch();
    seen.add(emu.version);
    assert.equal(seen.size, 6);
    assert.equal((await get(emu, '/2015-12-19/self/service/metadata/aliases/app9/0')).body, 'x', 'sidekick sees primary metadata');
    assert.deepEqual(emu.requests.at(-1), {
      method: 'GET',
      path: '/2015-12-19/self/service/metadata/aliases/app9/0',
      query: {},
      accept: '*/*', // what fetch sends without an Accept header
      caller: '127.0.0.1',
    });
  });
});
