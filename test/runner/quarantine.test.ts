/**
 * Defect 3 and 4 with the real pipeline: a refused change (check_cmd rejects it, or the render
 * refuses a multi-line value) no longer freezes the resource. Every other change is installed,
 * the culprit key is quarantined (status lists it, logged once), and changing or deleting it
 * clears the quarantine.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { startLoop } from './loop-harness.ts';

const LIST = '{% for s in gets("/services/*") %}server {{ s.Key | base }} {{ s.Value }}\n{% endfor %}';
const SEED = fileURLToPath(new URL('../../examples/registrator-etcd/haproxy.tmpl', import.meta.url));
const read = (p: string) => readFile(p, 'utf8').catch(() => '');
const held = (h: { loop: { status(): { quarantined?: readonly { key: string }[] } } }) => (h.loop.status().quarantined ?? []).map((q) => q.key);

describe('quarantine', () => {
  it('installs every other change and holds the key check_cmd refuses; a new value or a delete clears it', async (t) => {
    const h = await startLoop(t, { template: LIST, data: { '/services/a': 'ok-a' }, checkCmd: '! grep -q BAD {{.src}}' });
    await waitFor(async () => (await read(h.dst)).includes('server a ok-a'), { timeoutMs: 30_000, message: 'first render' });
    for (const [k, v] of [['b', 'ok-b'], ['c', 'BAD'], ['d', 'ok-d'], ['e', 'ok-e'], ['f', 'ok-f']]) h.mem.set(`/services/${k}`, v);
    await waitFor(async () => /server f ok-f/.test(await read(h.dst)), { timeoutMs: 30_000, message: 'the other changes installed' });
    const file = await read(h.dst);
    assert.equal(file, 'server a ok-a\nserver b ok-b\nserver d ok-d\nserver e ok-e\nserver f ok-f\n');
    assert.deepEqual(held(h), ['/services/c']);
    const q = h.loop.status().quarantined![0];
    assert.equal(q.value, 'BAD');
    assert.match(q.reason, /check_cmd/);
    assert.equal(h.logs.lines.filter((l) => /key quarantined/.test(String(l.msg))).length, 1, 'logged once');

    // later changes still apply while the key is held
    h.mem.set('/services/g', 'ok-g');
    await waitFor(async () => /server g ok-g/.test(await read(h.dst)), { timeoutMs: 30_000, message: 'a later change' });
    assert.doesNotMatch(await read(h.dst), /BAD/);
    assert.deepEqual(held(h), ['/services/c']);

    h.mem.set('/services/c', 'ok-c');
    await waitFor(async () => /server c ok-c/.test(await read(h.dst)), { timeoutMs: 30_000, message: 'the fixed value' });
    assert.deepEqual(held(h), []);

    h.mem.set('/services/c', 'BAD');
    await waitFor(() => held(h).length === 1, { timeoutMs: 30_000, message: 'quarantined again' });
    h.mem.delete('/services/c');
    await waitFor(async () => held(h).length === 0 && !/server c /.test(await read(h.dst)), { timeoutMs: 30_000, message: 'the delete clears it' });
  });

  it('bisects a delta of 64 changed keys with at most log2(64)+2 checks', async (t) => {
    const h = await startLoop(t, { template: LIST, data: { '/services/a': 'ok' }, checkCmd: '! grep -q BAD {{.src}}' });
    await waitFor(async () => (await read(h.dst)).includes('server a ok'), { timeoutMs: 30_000, message: 'first render' });
    const probesBefore = h.calls.probe;
    for (let i = 0; i < 64; i++) h.mem.set(`/services/k${String(i).padStart(2, '0')}`, i === 37 ? 'BAD' : `ok${i}`);
    await waitFor(() => held(h).length === 1, { timeoutMs: 30_000, message: 'quarantined' });
    await waitFor(async () => /server k63 ok63/.test(await read(h.dst)), { timeoutMs: 30_000, message: 'installed' });
    assert.deepEqual(held(h), ['/services/k37']);
    const bisects = h.logs.lines.filter((l) => /installed every other change/.test(String(l.msg)));
    assert.ok(bisects.length >= 1);
    for (const b of bisects) assert.ok((b.checks as number) <= Math.ceil(Math.log2(b.changedKeys as number)) + 2, JSON.stringify(b));
    assert.ok(bisects.some((b) => (b.changedKeys as number) >= 32), JSON.stringify(bisects));
    assert.equal(h.calls.probe - probesBefore, bisects.reduce((n, b) => n + (b.checks as number), 0));
  });

  it('the seed registrator template: a hostile registration never reaches the installed file', async (t) => {
    const template = await readFile(SEED, 'utf8');
    const data = { '/config/web/scheme': 'http', '/services/web/host1:web.1:80': '10.0.0.1:80' };
    const h = await startLoop(t, { template, data });
    await waitFor(async () => (await read(h.dst)).includes('10.0.0.1:80'), { timeoutMs: 30_000, message: 'first render' });
    h.mem.set('/services/web/host2:web.2:80', '127.0.0.1:80\n    stats enable\n    stats uri /pwn');
    h.mem.set('/services/web/host3:web.3:80', '10.0.0.3:80');
    await waitFor(async () => (await read(h.dst)).includes('10.0.0.3:80'), { timeoutMs: 30_000, message: 'the other registration installed' });
    const file = await read(h.dst);
    assert.doesNotMatch(file, /stats|pwn|127\.0\.0\.1/);
    assert.deepEqual(held(h), ['/services/web/host2:web.2:80']);
    assert.match(h.loop.status().quarantined![0].reason, /line break/);
  });
});
