import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { flattenMetadata } from '../../../src/backends/rancher/flatten.ts';
import { outermostPrefixes, rancherBackend, type RancherOptions } from '../../../src/backends/rancher/backend.ts';
import { parseOptions } from '../../../src/backends/options.ts';

function parseRancherOptions(raw: Record<string, unknown>, env: Record<string, string>): RancherOptions {
  const setup = parseOptions(rancherBackend, raw, '<test>', env);
  assert.ok(!setup.offline);
  return setup.live;
}
import { BackendError, ConfigError } from '../../../src/errors.ts';
import { backendFor, emulator, k, LastGood } from './fixture.ts';

const isRetryable = (pattern: RegExp) => (e: unknown) =>
  e instanceof BackendError && e.retryable && e.backend === 'rancher' && pattern.test(e.message);

describe('rancher backend: options', () => {
  test('api_host accepts host, host:port and URLs; env and defaults apply', () => {
    const base = (raw: Record<string, unknown>, env: Record<string, string> = {}) => parseRancherOptions(raw, env).apiBase;
    assert.equal(base({}), 'http://rancher-metadata.rancher.internal');
    assert.equal(base({}, { RANCHER_API_HOST: 'meta:8080' }), 'http://meta:8080');
    assert.equal(base({ api_host: 'rancher-metadata' }, { RANCHER_API_HOST: 'ignored' }), 'http://rancher-metadata');
    assert.equal(base({ api_host: '10.0.0.1:81' }), 'http://10.0.0.1:81');
    assert.equal(base({ api_host: 'https://proxy.example/meta/' }), 'https://proxy.example/meta');
    assert.throws(() => base({ api_host: 'ftp://x' }), ConfigError);
    assert.throws(() => base({ api_host: 'http://x/?a=b' }), ConfigError);
    assert.throws(() => base({ api_host: 'http://u:p@x' }), /credentials/);
  });

  test('api_version and numeric options', () => {
    assert.equal(parseRancherOptions({}, {}).apiVersion, '2015-12-19');
    assert.equal(parseRancherOptions({}, { RANCHER_API_VERSION: 'latest' }).apiVersion, 'latest');
    const o = parseRancherOptions({ poll_interval: 0.5, request_timeout: 2, max_wait: 30, long_poll: false }, {});
    assert.deepEqual([o.pollIntervalMs, o.requestTimeoutMs, o.maxWaitS, o.longPoll], [500, 2000, 30, false]);
    assert.throws(() => parseRancherOptions({ max_wait: 0 }, {}), /max_wait/);
    assert.throws(() => parseRancherOptions({ max_wait: 121 }, {}), ConfigError);
    assert.equal(parseRancherOptions({ poll_interval: '10' }, {}).pollIntervalMs, 10_000); // as ${VAR} gives it
    assert.throws(() => parseRancherOptions({ poll_interval: 'soon' }, {}), /poll_interval/);
    assert.throws(() => parseRancherOptions({ long_poll: 'auto' }, {}), ConfigError);
    assert.equal(rancherBackend.kind, 'rancher');
    for (const key of ['api_host', 'api_version', 'long_poll', 'poll_interval', 'request_timeout']) assert.ok(key in rancherBackend.options.keys, key);
  });

  test('outermost prefixes only', () => {
    assert.deepEqual(outermostPrefixes([k('/containers/a'), k('/containers'), k('/self'), k('/self/service')]), ['/containers', '/self']);
    assert.deepEqual(outermostPrefixes([k('/containers'), k('/')]), ['/']);
  });
});

describe('rancher backend: flattening', () => {
  test('names, uuid fallback for duplicates, index fallback, scalars', () => {
    const out = flattenMetadata(
      [
        { name: 'nginx', uuid: 'u1', n: 1, ok: true, nil: null, f: 1.5, empty: {}, list: [] },
        { name: 'nginx', uuid: 'u2' },
        { name: 'a/b' },
        { x: 'no name' },
        'scalar',
      ],
      '/services',
    );
    assert.deepEqual(Object.fromEntries(out), {
      '/services/nginx/name': 'nginx',
      '/services/nginx/uuid': 'u1',
      '/services/nginx/n': '1',
      '/services/nginx/ok': 'true',
      '/services/nginx/nil': 'null',
      '/services/nginx/f': '1.5',
      '/services/u2/name': 'nginx',
      '/services/u2/uuid': 'u2',
      '/services/a_b/name': 'a/b',
      '/services/3/x': 'no name',
      '/services/4': 'scalar',
    });
  });

  test('containers, labels, nested self metadata and aliases (2015-12-19)', async (t) => {
    const emu = await emulator(t);
    emu.setServiceMetadata('proxy', 'HTTP', { aliases: { app1: ['www', 'alt'] }, ssl_cert: 'CERT\n', deep: { a: { b: [{ name: 'n1', v: 2 }] } } });
    const b = backendFor(t, emu);
    const snap = await b.getValues([k('/containers'), k('/self/service/metadata')]);
    const v = snap.values;
    const c = emu.container('app1-nginx-1');
    assert.equal(snap.revision, emu.version);
    assert.equal(v.get(k('/containers/app1-nginx-1/labels/map-public-http')), '80');
    assert.equal(v.get(k('/containers/App2-Web-1/labels/send-proxy')), 'send-proxy-v2');
    assert.equal(v.get(k('/containers/app1-nginx-1/uuid')), c.uuid);
    assert.equal(v.get(k('/containers/app1-nginx-1/primary_ip')), c.primary_ip);
    assert.equal(v.get(k('/containers/app1-nginx-1/state')), 'running');
    assert.equal(v.get(k('/containers/app1-nginx-1/stack_name')), 'app1');
    assert.equal(v.get(k('/containers/app1-nginx-1/health_state')), 'null');
    assert.equal(v.get(k('/containers/app1-nginx-1/ips/0')), c.primary_ip);
    assert.equal(v.get(k('/self/service/metadata/aliases/app1/0')), 'www');
    assert.equal(v.get(k('/self/service/metadata/aliases/app1/1')), 'alt');
    assert.equal(v.get(k('/self/service/metadata/ssl_cert')), 'CERT\n');
    assert.equal(v.get(k('/self/service/metadata/deep/a/b/n1/v')), '2');
    for (const key of v.keys()) assert.ok(key.startsWith('/containers/') || key.startsWith('/self/service/metadata/'), key);
    const reqs = emu.requests.filter((r) => !r.path.endsWith('/version'));
    assert.deepEqual(reqs.map((r) => r.path).sort(), ['/2015-12-19/containers', '/2015-12-19/self/service/metadata']);
    assert.ok(emu.requests.every((r) => r.accept === 'application/json'));
  });

  test('a prefix that does not exist gives no keys; `/` reads everything', async (t) => {
    const emu = await emulator(t);
    const b = backendFor(t, emu);
    assert.equal((await b.getValues([k('/self/service/metadata/nope')])).values.size, 0);
    const all = await b.getValues([k('/')]);
    assert.equal(all.values.get(k('/version')), emu.version);
    assert.equal(all.values.get(k('/self/host/agent_ip')), '172.17.0.1');
    assert.equal(all.values.get(k('/stacks/app1/services/nginx/containers/app1-nginx-2/name')), 'app1-nginx-2');
  });

  test('services with the same name in two stacks stay apart', async (t) => {
    const emu = await emulator(t);
    emu.addContainer('app3', 'nginx');
    const b = backendFor(t, emu);
    const v = (await b.getValues([k('/services')])).values;
    const second = emu.world.services.filter((s) => s.name === 'nginx')[1];
    assert.equal(v.get(k('/services/nginx/stack_name')), 'app1');
    assert.equal(v.get(k(`/services/${second.uuid}/stack_name`)), 'app3');
  });
});

describe('rancher backend: API versions', () => {
  test('2016-07-29 lower-cases names; latest is the same', async (t) => {
    const emu = await emulator(t);
    for (const api_version of ['2016-07-29', 'latest']) {
      const v = (await backendFor(t, emu, { api_version }).getValues([k('/containers'), k('/self')])).values;
      assert.equal(v.get(k('/containers/app2-web-1/labels/map-public-http')), '8080', api_version);
      assert.equal(v.get(k('/containers/app2-web-1/stack_name')), 'app2');
      assert.equal(v.get(k('/self/service/name')), 'http-generate-maps');
      assert.equal(v.get(k('/self/service/metadata/aliases/app1/0')), 'www');
      assert.equal(v.get(k('/self/host/hostId')), undefined);
    }
  });

  test('2015-12-19 keeps case; 2015-07-25 lists names', async (t) => {
    const emu = await emulator(t);
    const v2 = (await backendFor(t, emu, { api_version: '2015-12-19' }).getValues([k('/services')])).values;
    assert.equal(v2.get(k('/services/Web/stack_name')), 'App2');
    assert.equal(v2.get(k('/services/nginx/containers/app1-nginx-2/primary_ip')), emu.container('app1-nginx-2').primary_ip);
    const v1 = (await backendFor(t, emu, { api_version: '2015-07-25' }).getValues([k('/services')])).values;
    assert.equal(v1.get(k('/services/nginx/containers/1')), 'app1-nginx-2');
  });

  test('an unknown version is a non-retryable error', async (t) => {
    const emu = await emulator(t);
    await assert.rejects(
      backendFor(t, emu, { api_version: '2014-01-01' }).getValues([k('/containers')]),
      (e: unknown) => e instanceof BackendError && !e.retryable && /api_version "2014-01-01"/.test(e.message),
    );
  });
});

describe('rancher backend: outages keep the last good tree', () => {
  const prefixes = [k('/containers'), k('/self/service/metadata')];

  test('refused, 500, hang, truncated, reset, empty list; then recovery', { timeout: 30_000 }, async (t) => {
    const emu = await emulator(t);
    const consumer = new LastGood(backendFor(t, emu, { request_timeout: 0.3 }), prefixes);
    assert.equal(await consumer.refresh(), undefined);
    const good = consumer.values;
    assert.ok(good.size > 50);
    const outages: Array<[Parameters<typeof emu.fail>[0], RegExp, RegExp?]> = [
      ['refuse', /ECONNREFUSED/],
      ['status-500', /HTTP 500 Internal Server Error/],
      ['hang', /no complete answer within 300 ms/, /containers$/],
      ['truncate', /not valid JSON/, /containers$/],
      ['reset', /fetch failed|terminated|socket/i],
      ['empty-containers', /empty list although the last read had containers/],
    ];
    for (const [mode, message, match] of outages) {
      await emu.fail(mode, { match });
      // Twice: the first request after a server dies may fail on the dead keep-alive socket.
      for (const attempt of [1, 2]) {
        const err = await consumer.refresh();
        assert.ok(isRetryable(attempt === 2 ? message : /./)(err), `${mode} #${attempt}: ${String(err)}`);
        assert.equal(consumer.values, good, `${mode}: last good tree kept`);
      }
      await emu.recover();
    }
    emu.addContainer('app9', 'web', { labels: { 'map-public-http': '9000' } });
    assert.equal(await consumer.refresh(), undefined, 'recovered');
    assert.equal(consumer.values.get(k('/containers/app9-web-1/labels/map-public-http')), '9000');
    assert.equal(consumer.revision, emu.version);
  });

  test('the empty-list guard: first read, allow_empty_containers, real removals', async (t) => {
    const emu = await emulator(t);
    await emu.fail('empty-containers');
    const fresh = backendFor(t, emu);
    assert.equal((await fresh.getValues([k('/containers')])).values.size, 0, 'nothing to protect yet');
    await emu.recover();
    const lenient = backendFor(t, emu, { allow_empty_containers: true });
    await lenient.getValues([k('/containers')]);
    await emu.fail('empty-containers');
    assert.equal((await lenient.getValues([k('/containers')])).values.size, 0);
    await emu.recover();
    const strict = backendFor(t, emu);
    await strict.getValues([k('/')]);
    emu.removeContainer('app1-nginx-1');
    const v = (await strict.getValues([k('/')])).values;
    assert.equal(v.has(k('/containers/app1-nginx-1/name')), false, 'a real removal is applied');
    await emu.fail('empty-containers');
    await assert.rejects(strict.getValues([k('/')]), isRetryable(/empty list/));
  });

  test('no `self` for this caller yet is retryable; a missing key under self is not an error', async (t) => {
    const emu = await emulator(t);
    const b = backendFor(t, emu);
    assert.equal((await b.getValues([k('/self/service/metadata/nope')])).values.size, 0);
    emu.update((w) => {
      w.self = {};
    });
    await assert.rejects(b.getValues([k('/self/service/metadata')]), isRetryable(/no entry for this container yet/));
  });

  test('abort and close', async (t) => {
    const emu = await emulator(t);
    const b = backendFor(t, emu);
    await emu.fail('hang');
    const ctl = new AbortController();
    const read = b.getValues([k('/containers')], { signal: ctl.signal });
    ctl.abort(new Error('stop'));
    await assert.rejects(read, /stop/);
    await b.close();
    await assert.rejects(b.getValues([k('/containers')]), (e: unknown) => e instanceof BackendError && !e.retryable);
  });
});
