/**
 * Runner semantics with the in-memory backend and a recording pipeline: first render at once,
 * changes during a run are never lost, bursts coalesce, watch keys trigger, and a backend error
 * keeps the last good tree.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryBackend, type MemoryBackend } from '../../src/backends/memory.ts';
import type { AppConfig, BackendSpec, ResourceSpec } from '../../src/config/types.ts';
import { KeyNotFoundError, ResourceError, TemplateError } from '../../src/errors.ts';
import { testClock } from '../helpers/clock.ts';
import { normalizeKey, type KeyPath } from '../../src/tree/keys.ts';
import type { ProcessResult } from '../../src/pipeline/process.ts';
import { createRunner } from '../../src/runner/runner.ts';
import type { KeyTree } from '../../src/tree/key-tree.ts';
import { silentLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';

function backendSpec(over: Partial<BackendSpec> = {}): BackendSpec {
  return {
    kind: 'memory',
    name: 'memory',
    prefix: normalizeKey('/app'),
    keys: [normalizeKey('/services')],
    watchKeys: [] as KeyPath[],
    watch: true,
    onetime: false,
    options: {},
    origin: { file: 'test' },
    ...over,
  };
}

function config(backends: BackendSpec[], debounce = { minMs: 0, maxMs: 0 }): AppConfig {
  const r: ResourceSpec = { name: 'r', templates: [], backends, reloadTimeoutMs: 1000, debounce, origin: { file: 'test' } };
  return { file: '/test/config.toml', logLevel: 'silent', logFormat: 'json', resources: [r] };
}

function fakeResult(): ProcessResult {
  return { resource: 'r', wouldChange: true, changed: true, templates: [], durationMs: 0 };
}

describe('runner', () => {
  it('renders once in onetime mode with prefix-stripped keys', async () => {
    const mem = createMemoryBackend('memory', { '/app/services/a': '1', '/app/other/x': 'no' });
    const seen: string[][] = [];
    const runner = createRunner(
      config([backendSpec()]),
      { process: async (_s, tree) => (seen.push(tree.entries().map((p) => `${p.key}=${p.value}`)), fakeResult()), logger: silentLogger(), env: {}, createBackend: () => mem },
      { noop: false },
    );
    const summary = await runner.runOnce();
    assert.equal(summary.exitCode, 0);
    assert.deepEqual(seen, [['/services/a=1']]);
  });

  it('never loses a change that arrives while a render runs', async () => {
    const mem = createMemoryBackend('memory', { '/app/services/n': '0' });
    const rendered: string[] = [];
    let release: (() => void) | undefined;
    const process = async (_s: ResourceSpec, tree: KeyTree) => {
      rendered.push(tree.getv('/services/n'));
      if (rendered.length === 2) await new Promise<void>((r) => (release = r));
      return fakeResult();
    };
    const ac = new AbortController();
    const runner = createRunner(config([backendSpec()]), { process, logger: silentLogger(), env: {}, createBackend: () => mem }, { noop: false });
    const done = runner.start(ac.signal);
    await waitFor(() => rendered.length === 1, { message: 'first render' });
    mem.set('/app/services/n', '1');
    await waitFor(() => release, { message: 'second render blocked' });
    for (let i = 2; i <= 50; i++) mem.set('/app/services/n', String(i));
    release!();
    await waitFor(() => rendered.at(-1) === '50', { message: 'latest value rendered' });
    assert.ok(rendered.length <= 4, `bursts coalesce (${rendered.length} renders)`);
    ac.abort();
    await done;
  });

  it('a watchKeys-only change triggers a render; unrelated keys do not', async () => {
    const mem = createMemoryBackend('memory', { '/app/services/a': '1' });
    let renders = 0;
    const ac = new AbortController();
    const spec = backendSpec({ watchKeys: [normalizeKey('/reload')] });
    const runner = createRunner(config([spec]), { process: async () => (renders++, fakeResult()), logger: silentLogger(), env: {}, createBackend: () => mem }, { noop: false });
    const done = runner.start(ac.signal);
    await waitFor(() => renders === 1);
    mem.set('/app/unrelated', 'x');
    mem.set('/app/reload', 'now');
    await waitFor(() => renders === 2, { message: 'trigger render' });
    ac.abort();
    await done;
  });

  it('merges several backends, the later one winning a collision', async () => {
    const a = createMemoryBackend('a', { '/services/x': 'from-a', '/services/only-a': '1' });
    const b = createMemoryBackend('b', { '/services/x': 'from-b' });
    const specs = [backendSpec({ name: 'a', prefix: normalizeKey('/') }), backendSpec({ name: 'b', prefix: normalizeKey('/') })];
    let tree: KeyTree | undefined;
    const runner = createRunner(
      config(specs),
      { process: async (_s, t) => ((tree = t), fakeResult()), logger: silentLogger(), env: {}, createBackend: (_k, name) => (name === 'a' ? a : b) as MemoryBackend },
      { noop: false },
    );
    await runner.runOnce();
    assert.equal(tree!.getv('/services/x'), 'from-b');
    assert.equal(tree!.getv('/services/only-a'), '1');
  });

  it('a failing resource gives its exit code; others still run', async () => {
    const mem = createMemoryBackend('memory', { '/app/services/a': '1' });
    const cfg = config([backendSpec()]);
    const two: AppConfig = { ...cfg, resources: [cfg.resources[0], { ...cfg.resources[0], name: 'ok' }] };
    const runner = createRunner(
      two,
      {
        process: async (s) => {
          if (s.name === 'r') throw Object.assign(new Error('boom'), {});
          return fakeResult();
        },
        logger: silentLogger(),
        env: {},
        createBackend: () => mem,
      },
      { noop: false },
    );
    const summary = await runner.runOnce();
    assert.equal(summary.exitCode, 1);
    assert.deepEqual(summary.resources.map((r) => r.ok), [false, true]);
  });
});

describe('missing_keys = "wait" (run --onetime)', () => {
  /** Time jumps ahead instead of passing: a sleep returns at once, but the clock moves. */
  function jumpingClock() {
    let now = 0;
    return {
      now: () => now,
      setTimeout: (fn: () => void, ms: number) => {
        now += ms;
        return setImmediate(fn) as unknown as NodeJS.Timeout;
      },
      clearTimeout: (h: unknown) => clearImmediate(h as NodeJS.Immediate),
    };
  }
  const missing = (key: string) => new TemplateError('r', { template: 't.tmpl', line: 1 }, `key does not exist: ${key}`, { cause: new KeyNotFoundError(key) });

  it('re-reads the backends until the key exists', async () => {
    const mem = createMemoryBackend('memory', { '/app/services/a': '1' });
    let attempts = 0;
    const cfg = config([backendSpec()]);
    const spec = { ...cfg.resources[0], missingKeys: 'wait' as const, missingTimeoutMs: 10_000 };
    const runner = createRunner(
      { ...cfg, resources: [spec] },
      {
        process: async (_s, tree) => {
          attempts++;
          if (attempts === 2) mem.set('/app/services/late', 'here');
          if (!tree.exists('/services/late')) throw missing('/services/late');
          return fakeResult();
        },
        logger: silentLogger(),
        env: {},
        clock: jumpingClock(),
        createBackend: () => mem,
      },
      { noop: false },
    );
    const summary = await runner.runOnce();
    assert.equal(summary.exitCode, 0);
    assert.equal(attempts, 3, 'failed twice, then the re-read saw the key');
  });

  it('gives up after missing_timeout naming the key, with the render exit code', async () => {
    const mem = createMemoryBackend('memory', {});
    const cfg = config([backendSpec()]);
    const spec = { ...cfg.resources[0], missingKeys: 'wait' as const, missingTimeoutMs: 5_000 };
    let attempts = 0;
    const runner = createRunner(
      { ...cfg, resources: [spec] },
      { process: async () => (attempts++, Promise.reject(missing('/never'))), logger: silentLogger(), env: {}, clock: jumpingClock(), createBackend: () => mem },
      { noop: false },
    );
    const summary = await runner.runOnce();
    assert.equal(summary.exitCode, 5);
    assert.match(summary.resources[0].error ?? '', /gave up waiting for \/never after 5 s/);
    assert.ok(attempts >= 5 && attempts <= 7, `about one attempt per second (${attempts})`);
  });

  it('"error" fails at once', async () => {
    const mem = createMemoryBackend('memory', {});
    let attempts = 0;
    const runner = createRunner(config([backendSpec()]), { process: async () => (attempts++, Promise.reject(missing('/x'))), logger: silentLogger(), env: {}, createBackend: () => mem }, { noop: false });
    assert.equal((await runner.runOnce()).exitCode, 5);
    assert.equal(attempts, 1);
  });
});

describe('runner.reconfigure', () => {
  it('builds every new loop before halting an old one: a loop that cannot be built leaves the running config untouched', async () => {
    const mem = createMemoryBackend('memory', { '/app/services/a': '1' });
    let renders = 0;
    const created: string[] = [];
    const runner = createRunner(
      config([backendSpec()]),
      {
        process: async () => (renders++, fakeResult()),
        logger: silentLogger(),
        env: {},
        createBackend: (_kind, name) => {
          if (name === 'broken') throw new Error('cannot build this backend');
          created.push(name);
          return mem;
        },
      },
      { noop: false },
    );
    const stop = new AbortController();
    const running = runner.start(stop.signal);
    await waitFor(() => renders === 1, { message: 'the first render' });
    const before = runner.workers[0];
    const next = config([backendSpec({ name: 'memory', keys: [normalizeKey('/other')] }), backendSpec({ name: 'broken' })]);
    await assert.rejects(runner.reconfigure(next), /cannot build this backend/);
    assert.equal(runner.workers[0], before, 'the old loop is still the running one');
    mem.set(normalizeKey('/app/services/b'), '2');
    await waitFor(() => renders === 2, { message: 'the old loop to render a later change' });
    stop.abort();
    await running;
  });

  it('SIGHUP with an unchanged resource retries its transient failure at once (the backoff clock never fires here)', async () => {
    const mem = createMemoryBackend('memory', { '/app/services/a': '1' });
    let calls = 0;
    const cfg = config([backendSpec()]);
    const runner = createRunner(
      cfg,
      {
        process: async () => {
          calls++;
          if (calls === 1) throw new ResourceError('r', 'install', '/etc/x.cfg: ENOSPC: no space left on device');
          return fakeResult();
        },
        logger: silentLogger(),
        env: {},
        clock: testClock(),
        createBackend: () => mem,
      },
      { noop: false },
    );
    const stop = new AbortController();
    const running = runner.start(stop.signal);
    await waitFor(() => calls === 1 && runner.status()[0].failures === 1, { message: 'the failed install' });
    const summary = await runner.reconfigure(cfg);
    assert.deepEqual(summary.unchanged, ['r']);
    await waitFor(() => calls === 2 && runner.status()[0].lastError === undefined, { message: 'the retry on SIGHUP' });
    stop.abort();
    await running;
  });
});
