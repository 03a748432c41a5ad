/**
 * 1,000 rapid puts and deletes against a real etcd while a watching keyplate runner keeps
 * rendering: the destination ends equal to a fresh one-shot render, and that render equals the
 * state the writes produced (nothing lost, nothing stale, no half-applied batch left behind).
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startEtcd, v2Delete, v2Put, v3Client } from '../helpers/etcd.ts';
import { tempDir } from '../helpers/tmp.ts';
import { dumpOf, startRunner, waitForContents } from './etcd-fixture.ts';

const OPS = 1_000;
const LANES = 8;
const KEYS = 120;

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Key i: a few nested levels, so directory listings change too. */
const keyOf = (i: number) => (i % 3 === 0 ? `/churn/k${i}` : `/churn/d${i % 7}/k${i}`);

interface Writer {
  put(key: string, value: string): Promise<void>;
  del(key: string): Promise<void>;
}

async function churn(t: TestContext, version: 2 | 3): Promise<void> {
  const etcd = await startEtcd(t);
  const kv = v3Client(t, etcd.clientUrl);
  const w: Writer =
    version === 3
      ? { put: async (k, v) => void (await kv.put(k).value(v)), del: async (k) => void (await kv.delete().key(k)) }
      : {
          put: async (k, v) => void (await v2Put(etcd.clientUrl, k, v)),
          del: (k) => v2Delete(etcd.clientUrl, k).catch((e: Error) => (/HTTP 404/.test(e.message) ? undefined : Promise.reject(e))),
        };
  const model = new Map<string, string>();
  for (let i = 0; i < KEYS; i += 2) {
    await w.put(keyOf(i), `init-${i}`);
    model.set(keyOf(i), `init-${i}`);
  }
  let churning = false;
  let rendersDuringChurn = 0;
  const dir = await tempDir(t, 'keyplate-e2e-churn');
  const live = await startRunner(t, {
    dir,
    etcdUrl: etcd.clientUrl,
    version,
    keys: ['/churn'],
    // A short pause after each render keeps the tree frozen a little longer, so many deltas
    // arrive while a render runs and must queue.
    wrap: (inner) => async (spec, tree, opts) => {
      if (churning) rendersDuringChurn++;
      const r = await inner(spec, tree, opts);
      await delay(3);
      return r;
    },
  });
  await waitForContents(live, dumpOf(model), 'the first render');

  // Each lane owns the keys i ≡ lane (mod LANES) and writes them one after another, so the final
  // state is known exactly while LANES writes are in flight at any time.
  churning = true;
  const rand = rng(version * 7919);
  const plan = Array.from({ length: OPS }, (_, n) => ({ n, i: Math.floor(rand() * KEYS), del: rand() < 0.35 }));
  await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      for (const op of plan.filter((p) => p.i % LANES === lane)) {
        const key = keyOf(op.i);
        if (op.del) {
          await w.del(key);
          model.delete(key);
        } else {
          await w.put(key, `v${op.n}`);
          model.set(key, `v${op.n}`);
        }
      }
    }),
  );
  churning = false;

  const expected = dumpOf(model);
  const fresh = await live.freshRender();
  assert.equal(fresh, expected, 'a fresh one-shot render shows exactly what the writes left');
  await waitForContents(live, fresh, 'the watched destination to equal a fresh one-shot render');
  assert.ok(rendersDuringChurn >= 1, 'renders ran while the writes went on');
  const st = live.runner.status()[0];
  assert.equal(st.failures, 0, `no failed cycle: ${st.lastError ?? ''}`);
  await live.stop();
}

test('etcd v3: 1,000 rapid puts/deletes while rendering end equal to a fresh one-shot render', async (t) => {
  await churn(t, 3);
});

test('etcd v2: 1,000 rapid puts/deletes while rendering end equal to a fresh one-shot render', async (t) => {
  await churn(t, 2);
});
