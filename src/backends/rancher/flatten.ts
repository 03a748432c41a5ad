/**
 * Rancher metadata JSON → flat keys, confd's mapping (style-anchors.md §1.1 #4): object keys become
 * path segments; an array item that is an object is keyed by its `name`, like the metadata server
 * addresses it (else its `uuid`, else its index); other items by index; scalars are stringified
 * with `null` → "null" (confd), booleans `true`/`false`, numbers as JSON writes them. Empty objects
 * and arrays produce no key. A `/` inside a segment becomes `_`.
 *
 * Names are not unique in every list (two stacks may both have a service `nginx` in `/services`):
 * the first item keeps the name, which is also the item `/services/nginx` answers with, and a
 * later item with the same name is keyed by its `uuid` (else its index), so two records never mix.
 */
import type { KeyPath } from '../../tree/keys.ts';
import { flatten } from '../flatten.ts';

export function flattenMetadata(value: unknown, root: string, out = new Map<KeyPath, string>()): Map<KeyPath, string> {
  return flatten(value, root, { arrayKey: itemKey }, out);
}

function itemKey(item: unknown, _index: number, taken: ReadonlySet<string>): string | undefined {
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    const o = item as Record<string, unknown>;
    for (const field of ['name', 'uuid']) {
      const v = o[field];
      if (typeof v === 'string' && v !== '' && !taken.has(v)) return v;
    }
  }
  return undefined;
}
