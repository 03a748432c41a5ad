/**
 * Defect 2 with the real pipeline: the data guard protects against hiccups, not against data. A
 * delete delivered by the watch applies (the prefix may become empty); a snapshot (here an
 * interval read of a backend that does not watch) that comes back empty or shrunk beyond
 * max_shrink holds that prefix at its last good values while every other prefix applies, visibly
 * (status, one log line, the outcome), until the prefix passes again.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { CycleOutcome } from '../../src/runner/resource-loop.ts';
import type { GuardStateStore } from '../../src/runner/guard-state.ts';
import { normalizeKey } from '../../src/tree/keys.ts';
import { waitFor } from '../helpers/wait.ts';
import { startLoop } from './loop-harness.ts';

const TEMPLATE = '{% for h in gets("/hosts/*") %}host {{ h.Key | base }} {{ h.Value }}\n{% endfor %}{% for s in gets("/services/*") %}server {{ s.Key | base }} {{ s.Value }}\n{% endfor %}';
const KEYS = { keys: [normalizeKey('/hosts'), normalizeKey('/services')] };
const read = (p: string) => readFile(p, 'utf8').catch(() => '');
const HOSTS = { '/hosts/h1': 'web', '/hosts/h2': 'web', '/hosts/h3': 'api' };

describe('data guard', () => {
  it('applies a delete the watch delivers, even when it empties a prefix, and later changes', async (t) => {
    const h = await startLoop(t, { template: TEMPLATE, data: { ...HOSTS, '/services/a': '10.0.0.1:80' }, backend: { ...KEYS, watch: true } });
    await waitFor(async () => (await read(h.dst)).includes('host h3 api'), { timeoutMs: 30_000, message: 'first render' });
    for (const k of Object.keys(HOSTS)) h.mem.delete(k);
    h.mem.set('/services/b', '10.0.0.2:80');
    await waitFor(async () => (await read(h.dst)) === 'server a 10.0.0.1:80\nserver b 10.0.0.2:80\n', { timeoutMs: 30_000, message: `hosts gone, b installed: ${await read(h.dst)}` });
    assert.deepEqual(h.loop.status().guards, []);
    assert.equal(h.logs.lines.filter((l) => l.event === 'guard-held').length, 0);
    h.mem.set('/services/c', '10.0.0.3:80');
    await waitFor(async () => (await read(h.dst)).includes('server c'), { timeoutMs: 30_000, message: 'a later change' });
  });

  it('holds a prefix an interval read finds empty at its last good values while other prefixes apply; its return releases it', async (t) => {
    const outcomes: CycleOutcome[] = [];
    const h = await startLoop(t, {
      template: TEMPLATE,
      data: { ...HOSTS, '/services/a': '10.0.0.1:80' },
      backend: { ...KEYS, watch: false, intervalMs: 100 },
      deps: { onCycle: (o) => outcomes.push(o) },
    });
    const first = 'host h1 web\nhost h2 web\nhost h3 api\nserver a 10.0.0.1:80\n';
    await waitFor(async () => (await read(h.dst)) === first, { timeoutMs: 30_000, message: 'first render' });
    for (const k of Object.keys(HOSTS)) h.mem.delete(k);
    h.mem.set('/services/b', '10.0.0.2:80');
    await waitFor(async () => (await read(h.dst)).includes('server b'), { timeoutMs: 30_000, message: 'the other prefix applies' });
    assert.equal(await read(h.dst), 'host h1 web\nhost h2 web\nhost h3 api\nserver a 10.0.0.1:80\nserver b 10.0.0.2:80\n', 'the hosts keep their last good values');
    const guards = h.loop.status().guards ?? [];
    assert.equal(guards.length, 1);
    assert.equal(guards[0].prefix, '/hosts');
    assert.equal(guards[0].reason, 'empty');
    assert.match(guards[0].message, /\/hosts on memory is empty but had 3 keys/);
    // the cycle's outcome is reported once the pass ends (after the install and the guard's state write)
    await waitFor(() => outcomes.some((o) => o.ok && o.guardHolds?.some((g) => g.prefix === '/hosts')), { timeoutMs: 10_000, message: 'the outcome reports the new hold' });

    h.mem.set('/services/c', '10.0.0.3:80');
    await waitFor(async () => (await read(h.dst)).includes('server c'), { timeoutMs: 30_000, message: 'still applying other prefixes' });
    assert.equal(h.logs.lines.filter((l) => l.event === 'guard-held').length, 1, 'logged once');

    h.mem.set('/hosts/h9', 'api');
    await waitFor(async () => (await read(h.dst)).startsWith('host h9 api\nserver a'), { timeoutMs: 30_000, message: `released: ${await read(h.dst)}` });
    assert.deepEqual(h.loop.status().guards, []);
    assert.equal(h.logs.lines.filter((l) => l.event === 'guard-released').length, 1);
  });

  it('holds a prefix a snapshot shrinks beyond max_shrink, releases it once the drop is within', async (t) => {
    const h = await startLoop(t, {
      template: TEMPLATE,
      data: { '/hosts/h1': 'a', '/hosts/h2': 'b', '/hosts/h3': 'c', '/hosts/h4': 'd', '/services/a': '10.0.0.1:80' },
      backend: { ...KEYS, watch: false, intervalMs: 100 },
      resource: { guard: { refuseEmpty: true, maxShrink: 0.5 } },
    });
    await waitFor(async () => (await read(h.dst)).includes('host h4 d'), { timeoutMs: 30_000, message: 'first render' });
    for (const k of ['/hosts/h2', '/hosts/h3', '/hosts/h4']) h.mem.delete(k);
    h.mem.set('/services/b', '10.0.0.2:80');
    await waitFor(async () => (await read(h.dst)).includes('server b'), { timeoutMs: 30_000, message: 'services apply' });
    assert.match(await read(h.dst), /host h4 d/, 'held at 4 hosts');
    assert.equal(h.loop.status().guards?.[0]?.reason, 'shrink');
    h.mem.set('/hosts/h5', 'e');
    await waitFor(async () => (await read(h.dst)).startsWith('host h1 a\nhost h5 e\nserver'), { timeoutMs: 30_000, message: `2 of 4 passes max_shrink 50%: ${await read(h.dst)}` });
    assert.deepEqual(h.loop.status().guards, []);
  });

  it('a snapshot that only confirms what the watch delivered holds nothing (interval beside watch)', async (t) => {
    const h = await startLoop(t, { template: TEMPLATE, data: { ...HOSTS, '/services/a': '10.0.0.1:80' }, backend: { ...KEYS, watch: true, intervalMs: 50 } });
    await waitFor(async () => (await read(h.dst)).includes('host h3 api'), { timeoutMs: 30_000, message: 'first render' });
    for (const k of Object.keys(HOSTS)) h.mem.delete(k);
    await waitFor(async () => (await read(h.dst)) === 'server a 10.0.0.1:80\n', { timeoutMs: 30_000, message: 'hosts gone' });
    // a few interval reads (each one a snapshot that finds /hosts empty, as the watch left it)
    const syncs = new Set<number | undefined>();
    await waitFor(() => syncs.add(h.loop.status().sources[0].lastSyncAt).size >= 4, { timeoutMs: 30_000, message: 'interval reads' });
    assert.deepEqual(h.loop.status().guards, []);
    assert.equal(h.logs.lines.filter((l) => l.event === 'guard-held').length, 0);
  });

  it('after a restart (a persisted baseline, no good values yet) an emptied prefix refuses the render until it passes; allowEmpty installs at once', async (t) => {
    const persisted = (): GuardStateStore => ({ load: async () => ({ 'memory /hosts': 3, 'memory /services': 1 }), save: async () => {} });
    const h = await startLoop(t, { template: TEMPLATE, data: { '/services/a': '10.0.0.1:80' }, backend: { ...KEYS, watch: true }, deps: { guardState: persisted() } });
    await waitFor(() => h.logs.lines.some((l) => l.event === 'render-failed' && l.code === 'E_GUARD'), { timeoutMs: 30_000, message: 'refused' });
    assert.equal(await read(h.dst), '', 'nothing installed');
    assert.match(h.loop.status().guards?.[0]?.message ?? '', /\/hosts on memory is empty but had 3 keys when the installed files were written .*--allow-empty/);
    h.mem.set('/hosts/h1', 'web');
    await waitFor(async () => (await read(h.dst)) === 'host h1 web\nserver a 10.0.0.1:80\n', { timeoutMs: 30_000, message: 'installs once /hosts passes' });
    assert.deepEqual(h.loop.status().guards, []);

    const allowed = await startLoop(t, { template: TEMPLATE, data: { '/services/a': '10.0.0.1:80' }, backend: { ...KEYS, watch: true }, deps: { guardState: persisted(), allowEmpty: true } });
    await waitFor(async () => (await read(allowed.dst)) === 'server a 10.0.0.1:80\n', { timeoutMs: 30_000, message: 'allowEmpty installs the empty prefix' });
  });
});
