/**
 * Quarantine instead of freeze. When a render of a resource is refused (a render error, check_cmd,
 * HAProxy's check or reload), the keys that changed since the last good tree are bisected
 * (bisect.ts) on temp copies to find the smallest set of keys whose change causes the refusal.
 * The render with every other change is installed; those keys are held at their last good value
 * (or kept absent) and reported: logged once per key and value (value masked when the key looks
 * secret), listed by status(), counted in /metrics. A held key is retried as soon as its value
 * changes or it is deleted, and on every retry tick (`retryAll`). Work is bounded: ⌈log2 n⌉ + 2
 * checks per refusal for one culprit (n changed keys), three times that at most for several, and
 * at most `checksPerMinute` checks a minute; past that the
 * refusal stands as it did before quarantine existed (the last good files stay), loudly.
 */
import type { Logger } from 'pino';
import { CommandStepError } from '../pipeline/step-error.ts';
import { errorMessage, KeyNotFoundError, ResourceError, TemplateError } from '../errors.ts';
import { maskValue } from '../secrets/mask.ts';
import type { Clock } from '../schedule/schedule.ts';
import type { KeyTree } from '../tree/key-tree.ts';
import { MemoryTree } from '../tree/tree.ts';
import { TreeMirror } from '../tree/mirror.ts';
import { bisect, checksFor } from './bisect.ts';

export interface QuarantinedKey {
  readonly key: string;
  /** The refused value, masked; null when the refused change is a delete. */
  readonly value: string | null;
  /** The checker's message for the smallest refused candidate. */
  readonly reason: string;
  readonly since: number;
}

interface Held {
  readonly value: string | undefined;
  readonly good: string | undefined;
  readonly reason: string;
  readonly since: number;
}

export interface QuarantineOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Checks allowed per minute for this resource (default 60). */
  readonly checksPerMinute?: number;
}

/** A refusal quarantine can work on: the data may be the cause, and a check can tell. */
export function isRefusal(e: unknown): boolean {
  if (e instanceof CommandStepError) return !e.result.timedOut;
  return e instanceof TemplateError || (e instanceof ResourceError && e.step === 'render');
}

type Values = ReadonlyMap<string, string>;

function valuesOf(tree: KeyTree): Map<string, string> {
  return tree instanceof MemoryTree ? tree.toMap() : new Map(tree.entries().map((p) => [p.key, p.value]));
}

export class Quarantine {
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #perMinute: number;
  /** The last good tree's values (kept current per change), once there is one. */
  readonly #lastGood = new TreeMirror();
  #hasGood = false;
  readonly #held = new Map<string, Held>();
  readonly #logged = new Set<string>();
  #spent: number[] = [];
  /** Refusals that did not reproduce on a copy: not the data's doing, so worth a retry. */
  readonly #notData = new WeakSet<object>();

  constructor(opts: QuarantineOptions) {
    this.#log = opts.logger;
    this.#clock = opts.clock;
    this.#perMinute = opts.checksPerMinute ?? 60;
  }

  get size(): number {
    return this.#held.size;
  }

  list(): QuarantinedKey[] {
    return [...this.#held].map(([key, h]) => ({ key, value: h.value === undefined ? null : maskValue(key, h.value), reason: h.reason, since: h.since }));
  }

  /** The tree to render: `tree` with every held key at its last good value. Releases keys whose value moved on. */
  apply(tree: KeyTree): KeyTree {
    if (this.#held.size === 0) return tree;
    let out: MemoryTree | undefined;
    for (const [key, h] of [...this.#held]) {
      const now = tree.exists(key) ? tree.getv(key) : undefined;
      if (now !== h.value) {
        this.#held.delete(key);
        this.#log.info({ event: 'quarantine-released', key }, now === undefined ? 'quarantined key deleted: released' : 'quarantined key changed: retrying it');
        continue;
      }
      out ??= new MemoryTree(valuesOf(tree));
      if (h.good === undefined) out.delete(key);
      else out.set(key, h.good);
    }
    return out ?? tree;
  }

  /** `tree` was installed (or found in sync): it is the new last good tree. */
  accepted(tree: KeyTree): void {
    this.#lastGood.sync(tree);
    this.#hasGood = true;
  }

  /** The refusal did not reproduce on a copy: it is not the data's doing (retry it). */
  notData(e: unknown): boolean {
    return typeof e === 'object' && e !== null && this.#notData.has(e);
  }

  /** Retry every held key at the next render (the retry tick). */
  retryAll(): void {
    if (this.#held.size > 0) this.#log.info({ keys: [...this.#held.keys()] }, 'retrying quarantined keys');
    this.#held.clear();
  }

  #take(): boolean {
    const now = this.#clock.now();
    this.#spent = this.#spent.filter((t) => now - t < 60_000);
    if (this.#spent.length >= this.#perMinute) return false;
    this.#spent.push(now);
    return true;
  }

  /**
   * `tree` was refused with `error`. Bisect, install the rest with `install`, hold the culprits.
   * Throws `error` (the refusal stands) when there is nothing to bisect, the refusal does not
   * reproduce on a copy, or the budget is spent.
   */
  async recover<R>(tree: KeyTree, error: unknown, probe: (t: KeyTree) => Promise<unknown>, install: (t: KeyTree) => Promise<R>): Promise<R> {
    // before the first good render, a missing key cannot be fixed by holding changes back
    if (!this.#hasGood && error instanceof Error && error.cause instanceof KeyNotFoundError) throw error;
    const good: Values = new Map(this.#lastGood.values); // a copy: the mirror moves on with the next accepted()
    const current = valuesOf(tree);
    const delta = [...new Set([...current.keys(), ...good.keys()])].filter((k) => current.get(k) !== good.get(k)).sort();
    if (delta.length === 0) throw error;
    const build = (applied: ReadonlySet<string>) => {
      const t = new MemoryTree(good);
      for (const k of applied) {
        const v = current.get(k);
        if (v === undefined) t.delete(k);
        else t.set(k, v);
      }
      return t;
    };
    // one culprit: ⌈log2 n⌉ + 2 checks; several: at most three times that, and the per-minute budget
    let left = 3 * checksFor(delta.length);
    const outcome = await bisect({
      delta,
      suspects: error instanceof TemplateError ? error.keys : undefined,
      take: () => left-- > 0 && this.#take(),
      accepts: async (applied) => {
        try {
          await probe(build(applied));
          return undefined;
        } catch (e) {
          if (!isRefusal(e)) throw e; // a timeout or an I/O error: no verdict, stop bisecting
          return errorMessage(e);
        }
      },
    }).catch((e: unknown) => {
      this.#log.warn({ err: errorMessage(e) }, 'quarantine: a check gave no verdict; the refusal stands');
      throw error;
    });
    if (outcome.kind === 'not-reproduced' && typeof error === 'object' && error !== null) this.#notData.add(error);
    if (outcome.kind !== 'found') {
      const why = outcome.kind === 'not-reproduced' ? 'the refusal did not reproduce on a copy (not caused by the data?)' : `the check budget is spent after ${outcome.checks} checks`;
      this.#log.error({ event: 'quarantine-failed', changedKeys: delta.length, checks: outcome.checks, err: errorMessage(error) }, `quarantine could not isolate the refused change: ${why}; the last good config stays until the data changes`);
      throw error;
    }
    const rest = new Set(delta.filter((k) => !outcome.culprits.includes(k)));
    const candidate = build(rest);
    const result = await install(candidate);
    for (const key of outcome.culprits) this.#hold(key, current.get(key), good.get(key), outcome.reasons.get(key) ?? errorMessage(error));
    this.accepted(candidate);
    this.#log.info({ event: 'quarantine-installed', changedKeys: delta.length, installed: rest.size, quarantined: outcome.culprits, checks: outcome.checks }, 'installed every other change; the refused keys are quarantined');
    return result;
  }

  #hold(key: string, value: string | undefined, good: string | undefined, reason: string): void {
    this.#held.set(key, { value, good, reason, since: this.#clock.now() });
    const id = `${key}\u0000${value ?? '\u0001'}`;
    const shown = value === undefined ? null : maskValue(key, value);
    if (this.#logged.has(id)) {
      this.#log.debug({ key, value: shown }, 'key still quarantined');
      return;
    }
    if (this.#logged.size > 10_000) this.#logged.clear();
    this.#logged.add(id);
    this.#log.warn({ event: 'key-quarantined', key, value: shown, reason }, `key quarantined: ${key} (its change is refused; it keeps its last good value until it changes)`);
  }
}

