import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { describe, it } from 'node:test';
import { isAppError } from '../../src/errors.ts';
import { createMetrics } from '../../src/status/metrics.ts';
import { healthReport, type HealthReport } from '../../src/status/health.ts';
import { parseListen, startStatusServer, type StatusServerOptions } from '../../src/status/server.ts';
import { captureLogger, silentLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';
import { okCycle, parseExposition, source, valueOf, worker } from './fakes.ts';
import type { ResourceStatus } from '../../src/runner/resource-loop.ts';

/** GET/HEAD/POST with a keep-alive agent: the socket stays open after the response. */
function call(url: string, method = 'GET', agent?: Agent): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function options(over: Partial<StatusServerOptions> & Pick<StatusServerOptions, 'health'>): StatusServerOptions {
  return { listen: '127.0.0.1:0', metrics: async () => '', contentType: 'text/plain', logger: silentLogger(), ...over };
}

describe('parseListen', () => {
  it('accepts host:port, [v6]:port, :port and port', () => {
    assert.deepEqual(parseListen('127.0.0.1:9100'), { host: '127.0.0.1', port: 9100 });
    assert.deepEqual(parseListen('[::1]:9100'), { host: '::1', port: 9100 });
    assert.deepEqual(parseListen('localhost:0'), { host: 'localhost', port: 0 });
    assert.deepEqual(parseListen(':9100'), { port: 9100 });
    assert.deepEqual(parseListen('9100'), { port: 9100 });
  });

  it('rejects anything else with the value in the message', () => {
    for (const bad of ['', 'abc', '127.0.0.1', '1.2.3.4:99999', '::1:9100', 'http://x:1', '1.2.3.4:-1']) {
      assert.throws(() => parseListen(bad), (e: unknown) => isAppError(e) && e.code === 'E_USAGE' && e.message.includes(JSON.stringify(bad)), bad);
    }
  });
});

describe('startStatusServer', { timeout: 20_000 }, () => {
  it('serves /healthz (200 → 503 → 200), /metrics and 404, then closes cleanly on abort', async (t) => {
    const T0 = 1_700_000_000_000;
    let now = T0;
    let statuses: ResourceStatus[] = [worker({ resource: 'web', sources: [source({ lastSyncAt: T0 })] })];
    const metrics = createMetrics({ defaultMetrics: false, status: () => statuses, now: () => now });
    metrics.observeCycle(okCycle('web', 1, 12));
    const ac = new AbortController();
    const log = captureLogger('info');
    const server = await startStatusServer({
      listen: '127.0.0.1:0',
      health: () => healthReport(statuses, now, { freshnessMs: 60_000 }),
      metrics: () => metrics.metricsText(),
      contentType: metrics.contentType,
      logger: log.logger,
      signal: ac.signal,
    });
    t.after(() => server.close());
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(server.address.port, 0);
    assert.ok(log.text().includes(`${server.url}/healthz`));
    const agent = new Agent({ keepAlive: true });
    t.after(() => agent.destroy());

    let r = await call(`${server.url}/healthz`, 'GET', agent);
    assert.equal(r.status, 503, 'never rendered');
    assert.match(String(r.headers['content-type']), /^application\/json/);
    let body = JSON.parse(r.body) as HealthReport;
    assert.equal(body.ok, false);
    assert.equal(body.resources[0].reason, 'has not rendered successfully yet');

    statuses = [worker({ resource: 'web', renders: 1, lastSuccessAt: T0, sources: [source({ lastSyncAt: T0 })] })];
    r = await call(`${server.url}/healthz?verbose=1`, 'GET', agent);
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as HealthReport).ok, true);

    now = T0 + 95_000;
    statuses = [worker({ resource: 'web', renders: 1, lastSuccessAt: T0, sources: [source({ lastSyncAt: T0, connected: false, lastError: 'connection refused' })] })];
    r = await call(`${server.url}/healthz`, 'GET', agent);
    assert.equal(r.status, 503);
    body = JSON.parse(r.body) as HealthReport;
    assert.equal(body.resources[0].reason, 'backend etcd has not synced for 95 s (window 60 s): connection refused');

    const head = await call(`${server.url}/healthz`, 'HEAD', agent);
    assert.equal(head.status, 503);
    assert.equal(head.body, '');

    r = await call(`${server.url}/metrics`, 'GET', agent);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const e = parseExposition(r.body);
    assert.equal(valueOf(e, 'keyplate_renders_total', { resource: 'web', result: 'changed' }), 1);
    assert.equal(valueOf(e, 'keyplate_watch_lag_seconds', { resource: 'web', backend: 'etcd' }), 95);

    assert.equal((await call(`${server.url}/`, 'GET', agent)).status, 404);
    assert.equal((await call(`${server.url}/metricsx`, 'GET', agent)).status, 404);
    const post = await call(`${server.url}/metrics`, 'POST', agent);
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');

    // the agent keeps an idle keep-alive socket open; abort must still close promptly
    assert.ok(Object.keys(agent.freeSockets).length > 0, 'a keep-alive socket is open');
    ac.abort();
    await server.close();
    await assert.rejects(call(`${server.url}/healthz`), /ECONNREFUSED/);
  });

  it('answers 500 when the metrics provider throws, and logs it', async (t) => {
    const log = captureLogger('error');
    const server = await startStatusServer(
      options({ health: () => healthReport([], 0, { freshnessMs: 1 }), metrics: () => Promise.reject(new Error('collector broke')), logger: log.logger }),
    );
    t.after(() => server.close());
    const r = await call(`${server.url}/metrics`);
    assert.equal(r.status, 500);
    assert.ok(log.text().includes('collector broke'));
    assert.equal((await call(`${server.url}/healthz`)).status, 200, 'no resources: healthy');
  });

  it('fails with a typed error when the port is taken, and does not start on an aborted signal', async (t) => {
    const first = await startStatusServer(options({ health: () => healthReport([], 0, { freshnessMs: 1 }) }));
    t.after(() => first.close());
    await assert.rejects(
      startStatusServer(options({ listen: `127.0.0.1:${first.address.port}`, health: () => healthReport([], 0, { freshnessMs: 1 }) })),
      (e: unknown) => isAppError(e) && e.code === 'E_LISTEN' && /cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/.test(e.message),
    );
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(startStatusServer(options({ health: () => healthReport([], 0, { freshnessMs: 1 }), signal: ac.signal })), { name: 'AbortError' });
  });

  it('close() does not wait for a request still in flight', async (t) => {
    let called = false;
    let release: (() => void) | undefined;
    const server = await startStatusServer(
      options({
        health: () => healthReport([], 0, { freshnessMs: 1 }),
        metrics: () => {
          called = true;
          return new Promise<string>((resolve) => (release = () => resolve('')));
        },
      }),
    );
    t.after(() => release?.());
    const pending = call(`${server.url}/metrics`);
    await waitFor(() => called, { message: 'the scrape to reach the provider' });
    await server.close();
    await assert.rejects(pending, /socket hang up|ECONNRESET/);
  });

  it('close() is idempotent', async () => {
    const server = await startStatusServer(options({ listen: '0', health: () => healthReport([], 0, { freshnessMs: 1 }) }));
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'every interface: the URL points at loopback');
    assert.equal((await call(`${server.url}/healthz`)).status, 200);
    await Promise.all([server.close(), server.close()]);
    await server.close();
  });
});
