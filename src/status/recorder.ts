/**
 * What the status page tells about each resource's cycles, recorded from the runner's cycle
 * outcomes: the last render, the last installed change with its unified diff (size-capped), the
 * last check and reload results with their output, the render that was refused (if the latest
 * attempt was), and a short history. Everything stored is already masked (status/mask.ts).
 */
import { createTwoFilesPatch } from 'diff';
import { errorMessage } from '../errors.ts';
import type { CommandResult } from '../exec/run.ts';
import { CommandStepError } from '../pipeline/step-error.ts';
import type { CycleOutcome } from '../runner/resource-loop.ts';
import { isSecretFile, maskText } from './mask.ts';

export const DIFF_LIMIT = 16 * 1024;
const OUTPUT_LIMIT = 4 * 1024;
const HISTORY = 50;

export interface FileChange {
  readonly dst: string;
  /** Unified diff, masked and capped at DIFF_LIMIT characters; absent for secret files. */
  readonly diff?: string;
  readonly truncated?: boolean;
  /** Why there is no diff (a secret file, the first install since keyplate started). */
  readonly note?: string;
}

export interface CommandView {
  readonly at: number;
  readonly ok: boolean;
  readonly command: string;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  /** stdout and stderr, masked, capped. */
  readonly output: string;
}

export interface RejectedView {
  readonly at: number;
  readonly step: string;
  readonly dst?: string;
  readonly message: string;
  readonly output?: string;
}

export interface HistoryEvent {
  readonly at: number;
  readonly resource: string;
  readonly kind: 'changed' | 'unchanged' | 'failed';
  readonly message: string;
}

export interface CycleView {
  readonly lastRenderAt?: number;
  readonly lastRenderMs?: number;
  readonly lastChangeAt?: number;
  readonly lastChange?: readonly FileChange[];
  readonly lastCheck?: CommandView;
  readonly lastReload?: CommandView;
  readonly rejected?: RejectedView;
}

function cap(text: string, limit: number): { text: string; truncated: boolean } {
  if (text.length <= limit) return { text, truncated: false };
  return { text: `${text.slice(0, limit)}\n… (${text.length - limit} more characters)`, truncated: true };
}

function commandView(r: CommandResult, at: number): CommandView {
  const output = cap(maskText([r.stdout, r.stderr].filter((s) => s.trim()).join('\n').trim()), OUTPUT_LIMIT).text;
  return { at, ok: r.exitCode === 0 && !r.timedOut, command: maskText(r.command), exitCode: r.exitCode, timedOut: r.timedOut, durationMs: r.durationMs, output };
}

export class CycleRecorder {
  readonly #views = new Map<string, CycleView>();
  /** Last rendered contents per destination (to diff the next installed change against). */
  readonly #contents = new Map<string, string>();
  readonly #history: HistoryEvent[] = [];
  readonly #now: () => number;

  constructor(opts: { now?: () => number } = {}) {
    this.#now = opts.now ?? Date.now;
  }

  view(resource: string): CycleView {
    return this.#views.get(resource) ?? {};
  }

  history(): readonly HistoryEvent[] {
    return [...this.#history].reverse();
  }

  #event(e: HistoryEvent): void {
    this.#history.push(e);
    if (this.#history.length > HISTORY) this.#history.shift();
  }

  observe(o: CycleOutcome): void {
    const at = this.#now();
    const prev = this.view(o.resource);
    if (o.ok) {
      const r = o.result;
      const next: { -readonly [K in keyof CycleView]: CycleView[K] } = { ...prev, lastRenderAt: at, lastRenderMs: Math.round(o.durationMs), rejected: undefined };
      const changes: FileChange[] = [];
      for (const t of r.templates) {
        const dst = t.template.dst;
        const before = this.#contents.get(dst);
        if (t.changed) changes.push(this.#change(dst, t.template.mode, before, t.contents));
        if (t.check) next.lastCheck = commandView(t.check, at);
        if (t.reload) next.lastReload = commandView(t.reload, at);
        this.#contents.set(dst, t.contents);
      }
      if (r.reload) next.lastReload = commandView(r.reload, at);
      if (changes.length > 0) {
        next.lastChangeAt = at;
        next.lastChange = changes;
        this.#event({ at, resource: o.resource, kind: 'changed', message: `installed ${changes.map((c) => c.dst).join(', ')}` });
      } else if (prev.rejected) this.#event({ at, resource: o.resource, kind: 'unchanged', message: 'render accepted again' });
      this.#views.set(o.resource, next);
      return;
    }
    const e = o.error;
    if (e instanceof Error && (e.name === 'AbortError' || (e as NodeJS.ErrnoException).code === 'ABORT_ERR')) return;
    const message = maskText(errorMessage(e));
    const next: { -readonly [K in keyof CycleView]: CycleView[K] } = { ...prev };
    const step = typeof (e as { step?: unknown })?.step === 'string' ? (e as { step: string }).step : 'internal';
    if (e instanceof CommandStepError) {
      const view = commandView(e.result, at);
      if (!e.repeated) {
        if (step === 'check') next.lastCheck = view;
        else next.lastReload = view;
      }
      next.rejected = { at: prev.rejected?.at ?? at, step, ...(e.template ? { dst: e.template } : {}), message, ...(view.output ? { output: view.output } : {}) };
    } else if (step !== 'fetch') {
      next.rejected = { at: prev.rejected?.message === message ? prev.rejected.at : at, step, message };
    }
    if (prev.rejected?.message !== message) this.#event({ at, resource: o.resource, kind: 'failed', message });
    this.#views.set(o.resource, next);
  }

  #change(dst: string, mode: number | undefined, before: string | undefined, after: string): FileChange {
    if (isSecretFile(dst, mode)) return { dst, note: 'secret file: contents not shown' };
    if (before === undefined) return { dst, note: 'first install since keyplate started: no earlier render to compare with' };
    const patch = createTwoFilesPatch(dst, dst, before, after, undefined, undefined, { context: 3 });
    const body = patch.split('\n').slice(2).join('\n');
    const { text, truncated } = cap(maskText(body), DIFF_LIMIT);
    return { dst, diff: text, ...(truncated ? { truncated } : {}) };
  }
}
