/** Unit tests with a fake CLI: the runtime executor's retry/pending logic and reload coalescing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReloadCoalescer } from '../../src/haproxy/coalesce.ts';
import { parseServerLine } from '../../src/haproxy/model.ts';
import type { RuntimeOp } from '../../src/haproxy/runtime-commands.ts';
import type { ReloadResult } from '../../src/haproxy/reload.ts';
import { applyRuntime, retryPendingDeletes, type CliClient, type PendingDeletes } from '../../src/haproxy/runtime.ts';

/** A fake CLI answering from a table of regex → reply (first match wins), recording commands. */
function fakeCli(table: Array<[RegExp, string | (() => string)]>): { client: CliClient; sent: string[] } {
  const sent: string[] = [];
  const client: CliClient = async (cmd) => {
    sent.push(cmd);
    const hit = table.find(([re]) => re.test(cmd));
    if (!hit) throw new Error(`unexpected command ${cmd}`);
    return typeof hit[1] === 'function' ? hit[1]() : hit[1];
  };
  return { client, sent };
}

const a2 = parseServerLine(['server', 'a2', '10.0.0.2:80', 'id', '2', 'check']);

describe('applyRuntime', () => {
  it('a removed server with connections attached is left in maintenance and deleted later', async () => {
    let busy = true;
    const { client, sent } = fakeCli([
      [/^del server/, () => (busy ? 'Server still has connections attached to it, cannot remove it.' : 'Server deleted.')],
      [/^set server/, ''],
    ]);
    const pending: PendingDeletes = new Map();
    const ops: RuntimeOp[] = [{ kind: 'server-del', backend: 'be_a', server: 'a2', previous: a2 }];
    const r = await applyRuntime(ops, { client, pendingDeletes: pending, removeTimeoutMs: 60 });
    assert.equal(r.ok, true);
    assert.match(r.warnings[0], /still has connections/);
    assert.deepEqual([...pending.keys()], ['be_a/a2']);
    assert.deepEqual(sent.slice(0, 3), ['set server be_a/a2 state drain', 'set server be_a/a2 state maint', 'del server be_a/a2']);
    assert.equal(await retryPendingDeletes(pending, client), 1);
    busy = false;
    assert.equal(await retryPendingDeletes(pending, client), 0);
  });

  it('re-adding a pending server with the same options re-uses it (no "add server")', async () => {
    const { client, sent } = fakeCli([
      [/^del server/, 'Server still has connections attached to it, cannot remove it.'],
      [/^set server \S+ addr/, "no need to change the addr, port changed from '80' to '81'"],
      [/^set server/, ''],
    ]);
    const pending: PendingDeletes = new Map([['be_a/a2', a2]]);
    const again = parseServerLine(['server', 'a2', '10.0.0.2:81', 'id', '2', 'check']);
    const r = await applyRuntime([{ kind: 'server-add', backend: 'be_a', server: again }], { client, pendingDeletes: pending });
    assert.equal(r.ok, true, r.error);
    assert.deepEqual(sent, ['del server be_a/a2', 'set server be_a/a2 addr 10.0.0.2 port 81', 'set server be_a/a2 weight 1', 'set server be_a/a2 state ready']);
    assert.equal(pending.size, 0);
  });

  it('stops at the first unexpected reply and reports it', async () => {
    const { client, sent } = fakeCli([[/^add server/, "'cookie' option is not accepted for dynamic server"]]);
    const r = await applyRuntime([{ kind: 'server-add', backend: 'be_a', server: a2 }, { kind: 'map-del', map: '/m', key: 'k' }], { client });
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /not accepted for dynamic server/);
    assert.equal(sent.length, 1);
  });

  it('replaces a map atomically in chunks under the payload limit', async () => {
    const { client, sent } = fakeCli([[/^prepare map/, 'New version created: 7\n'], [/^(add|commit) map @7/, '']]);
    const entries = Array.from({ length: 1000 }, (_, i) => [`host-${i}.example.com`, `be_${i % 7}`] as const);
    const r = await applyRuntime([{ kind: 'map-replace', map: '/etc/h/hosts.map', entries }], { client });
    assert.equal(r.ok, true, r.error);
    const payloads = sent.filter((c) => c.startsWith('add map @7 /etc/h/hosts.map <<\n'));
    assert.ok(payloads.length >= 2 && payloads.every((p) => Buffer.byteLength(p) < 14_000));
    assert.equal(payloads.join('').split('\n').filter((l) => l.startsWith('host-')).length, 1000);
    assert.equal(sent.at(-1), 'commit map @7 /etc/h/hosts.map');
  });
});

describe('ReloadCoalescer', () => {
  it('merges requests, keeps the minimum interval, never overlaps', async () => {
    let now = 0;
    const timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
    const setTimer = (fn: () => void, ms: number) => {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return { cancel: () => void (t.live = false) };
    };
    const advance = async (ms: number): Promise<void> => {
      now += ms;
      for (const t of timers.filter((x) => x.live && x.at <= now)) {
        t.live = false;
        t.fn();
      }
      await new Promise((r) => setImmediate(r));
    };
    let runs = 0;
    const ok = (): ReloadResult => ({ ok: true, message: '', oldWorkerPids: [], durationMs: 0 });
    const c = new ReloadCoalescer(async () => (runs++, ok()), 1000, { now: () => now, setTimer });
    const first = c.request();
    await advance(0);
    assert.equal((await first).merged, 1);
    const burst = [c.request(), c.request(), c.request()];
    await advance(500);
    assert.equal(runs, 1, 'not before the minimum interval');
    await advance(500);
    const results = await Promise.all(burst);
    assert.equal(runs, 2);
    assert.ok(results.every((r) => r.merged === 3));
    const forced = c.request({ force: true });
    await advance(0);
    assert.equal((await forced).ok, true);
    assert.equal(runs, 3);
  });
});
