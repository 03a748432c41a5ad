/**
 * Values that cannot become directives. A backend value (or key) holding a line break (CR, LF) or
 * NUL is never written into a rendered file through `{{ }}`: every output expression goes through
 * `outputGuard` (compile.ts emits the call), and an output that carries such a value fails the
 * render with an error naming the key. Multi-line values are written only where the template says
 * so (`{{ pem | multiline }}`) or the resource allows them (`allow_multiline_values = true`).
 *
 * Cost: an output without CR/LF/NUL is one `indexOf` per character class; the tree is scanned
 * for hostile values once per render, and only when some output holds a line break.
 */
import type { KeyTree } from '../tree/key-tree.ts';

/** Name of the per-render context variable holding the checker (absent: multi-line allowed). */
export const OUTPUT_CHECK = '__keyplate_output_check';

const BREAK = /[\r\n\0]/;
const SPLIT = /\r\n|[\r\n\0]/;

/** What `| multiline` returns: written as is, whatever it holds. */
export class MultilineValue {
  readonly value: string;
  readonly __keyplate_multiline = true;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/** The `multiline` filter: this expression may write line breaks. Must be the last filter. */
export function multilineFilter(v: unknown): MultilineValue {
  return new MultilineValue(v === undefined || v === null ? '' : String(v));
}

/** Thrown inside the render; the engine maps it to a TemplateError (file:line:col) with `keys`. */
export class MultilineValueError extends Error {
  readonly keys: readonly string[];
  constructor(keys: readonly string[]) {
    const list = keys.length === 1 ? keys[0] : keys.join(', ');
    super(
      `the value of ${list} contains a line break (CR or LF) or NUL and is not written into the file ` +
        '(add `| multiline` to this expression, or allow_multiline_values = true on the resource, where multi-line values are wanted)',
    );
    this.name = 'MultilineValueError';
    this.keys = keys;
  }
}

interface Hostile {
  readonly key: string;
  readonly raw: string;
  /** Trimmed, non-empty lines after the first break: what an injection would add. */
  readonly tail: readonly string[];
}

function hostileEntries(tree: KeyTree): Hostile[] {
  const out: Hostile[] = [];
  for (const { key, value } of tree.entries()) {
    for (const raw of [value, key]) {
      if (!BREAK.test(raw)) continue;
      const tail = raw.split(SPLIT).slice(1).map((l) => l.trim()).filter((l) => l !== '');
      out.push({ key, raw, tail });
    }
  }
  return out;
}

/**
 * The per-render checker: returns the value, or throws MultilineValueError naming the keys whose
 * multi-line value the output carries (verbatim, or one of its later lines as a line of the output).
 */
export function makeOutputCheck(tree: KeyTree): (v: unknown) => unknown {
  let hostile: Hostile[] | undefined;
  return (v: unknown) => {
    const s = String(v);
    if (!BREAK.test(s)) return v;
    hostile ??= hostileEntries(tree);
    if (hostile.length === 0) return v;
    const lines = new Set(s.split(SPLIT).slice(1).map((l) => l.trim()));
    const keys = new Set<string>();
    for (const h of hostile) {
      if (s.includes(h.raw) || h.tail.some((l) => lines.has(l))) keys.add(h.key);
    }
    if (keys.size > 0) throw new MultilineValueError([...keys].sort());
    return v;
  };
}
