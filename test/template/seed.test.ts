/**
 * The remco/pongo2 HAProxy example (seed 001: the `global … mode http` block plus its three
 * `{% … %}` blocks, in order) must render unchanged.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { MemoryTree } from '../../src/tree/tree.ts';
import { engine } from './render.ts';

const SEED = fileURLToPath(new URL('./fixtures/haproxy-seed.tmpl', import.meta.url));

const tree = new MemoryTree(Object.entries({
  '/config/redis/scheme': 'http',
  '/config/redis_test/scheme': 'http',
  '/config/redis_test/host_port': '6380',
  '/config/web/scheme': 'tcp',
  '/config/web/host_port': '8080',
  '/config/idle/scheme': 'http', // configured but no instances: no acl, no frontend
  '/config/idle/host_port': '9000',
  '/services/redis/1': '10.0.0.1:6379',
  '/services/redis_test/a': '10.0.0.2:6380',
  '/services/web/x': '10.0.0.3:80',
  '/services/web/y': '10.0.0.4:80',
  '/services/orphan/1': '10.0.0.5:1', // instances but no scheme: no backend
}));

const EXPECTED = `global
    daemon
    maxconn 2048

defaults
    timeout connect 5000ms
    timeout client 500000ms
    timeout server 500000ms
    log global

frontend name_resolver_http
    bind *:80
    mode http
        acl is_redis_test url_beg /redis_test
        acl is_redis_test hdr_beg(host) redis_test
        use_backend redis_test_servers if is_redis_test
        acl is_redis url_beg /redis
        acl is_redis hdr_beg(host) redis
        use_backend redis_servers if is_redis
                frontend redis_test_port
                mode http
                bind *:6380
                default_backend redis_test_servers
                frontend web_port
                mode tcp
                bind *:8080
                default_backend web_servers
backend redis_servers
        mode http
            server server_redis_1 10.0.0.1:6379
backend redis_test_servers
        mode http
            server server_redis_test_a 10.0.0.2:6380
backend web_servers
        mode tcp
            server server_web_x 10.0.0.3:80
            server server_web_y 10.0.0.4:80
`;

describe('seed: remco haproxy template', () => {
  it('renders the expected haproxy.cfg (redis_test acl before redis: sortByLength reversed)', async () => {
    const out = await engine().renderFile(SEED, { resource: 'haproxy', tree });
    assert.equal(out, EXPECTED);
    assert.ok(out.indexOf('acl is_redis_test') < out.indexOf('acl is_redis '));
  });
  it('compiles cleanly (keyplate check)', () => {
    engine().compileFile(SEED, 'haproxy');
  });
  it('a service with neither a scheme nor instances renders only the static part', async () => {
    const bare = new MemoryTree([['/services/a/1', 'x'], ['/config/b/host_port', '1']]);
    const out = await engine().renderFile(SEED, { resource: 'haproxy', tree: bare });
    assert.equal(out, EXPECTED.slice(0, EXPECTED.indexOf('        acl')));
  });
});
