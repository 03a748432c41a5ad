import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBackendList, parseMapList, parseShowInfo, readRoutingTable, serverStatus } from '../../src/haproxy/routing.ts';

// Replies as HAProxy 2.6 writes them
const SHOW_MAP = `# id (file) description
-1 (/etc/haproxy/hosts.map) pattern loaded from file '/etc/haproxy/hosts.map' used by map at file '/etc/haproxy/haproxy.cfg' line 22. curr_ver=0 next_ver=0 entry_cnt=2

`;
const SHOW_BACKEND = '# name\nbe_api\nbe_web\nno_route\nMASTER\n\n';
const SERVERS = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 be_web 263920 docker1:web.1:80 10.0.0.11 2 0 1 1 12 1 0 0 0 0 0 0 - 32768 - 0 0 - - 0
3 be_web 135753 docker2:web.2:80 10.0.0.12 2 1 1 1 12 1 0 0 0 0 0 0 - 32771 - 0 0 - - 0
2 be_api 124494 docker3:api.2:8080 fd00::13 0 0 1 1 12 1 0 0 0 0 0 0 - 32770 - 0 0 - - 0
`;

describe('HAProxy routing table', () => {
  it('parses the map list, backends and info', () => {
    assert.deepEqual(parseMapList(SHOW_MAP), ['/etc/haproxy/hosts.map']);
    assert.deepEqual(parseBackendList(SHOW_BACKEND), ['be_api', 'be_web', 'no_route', 'MASTER']);
    assert.equal(parseShowInfo('Name: HAProxy\nVersion: 2.6.12-1+deb12u4\nPid: 7\n').Version, '2.6.12-1+deb12u4');
  });

  it('names server states as HAProxy shows them', () => {
    assert.equal(serverStatus({ opState: 2, adminState: 0 }), 'UP');
    assert.equal(serverStatus({ opState: 0, adminState: 0 }), 'DOWN');
    assert.equal(serverStatus({ opState: 2, adminState: 0x01 }), 'MAINT');
    assert.equal(serverStatus({ opState: 2, adminState: 0x20 }), 'MAINT');
    assert.equal(serverStatus({ opState: 2, adminState: 0x08 }), 'DRAIN');
    assert.equal(serverStatus({ opState: 1, adminState: 0 }), 'STARTING');
  });

  it('joins map entries, backends and servers into host → backend → servers', async () => {
    const replies: Record<string, string> = {
      'show map': SHOW_MAP,
      'show backend': SHOW_BACKEND,
      'show servers state': SERVERS,
      'show map /etc/haproxy/hosts.map': '0x55d0 www.example.com be_web\n0x55d1 old.example.com be_gone\n\n',
    };
    const asked: string[] = [];
    const t = await readRoutingTable(async (cmd) => {
      asked.push(cmd);
      if (!(cmd in replies)) throw new Error(`unexpected ${cmd}`);
      return replies[cmd];
    });
    assert.deepEqual(t.routes, [
      { host: 'www.example.com', backend: 'be_web', map: '/etc/haproxy/hosts.map', exists: true },
      { host: 'old.example.com', backend: 'be_gone', map: '/etc/haproxy/hosts.map', exists: false },
    ]);
    assert.deepEqual(t.backends.map((b) => b.name), ['be_api', 'be_web', 'no_route']);
    const web = t.backends.find((b) => b.name === 'be_web')!;
    assert.deepEqual(web.servers.map((s) => [s.name, s.address, s.status, s.id]), [
      ['docker1:web.1:80', '10.0.0.11:32768', 'UP', 263920],
      ['docker2:web.2:80', '10.0.0.12:32771', 'MAINT', 135753],
    ]);
    assert.deepEqual(t.backends.find((b) => b.name === 'be_api')!.servers.map((s) => [s.address, s.status]), [['[fd00::13]:32770', 'DOWN']]);
    assert.ok(asked.includes('show servers state'));
  });
});
