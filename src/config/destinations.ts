/**
 * Two templates (of one resource or of two) must not write the same file: it would flip between
 * the two renders on every change, and both would reload. Destinations are compared after
 * resolving `.`/`..` and symlinks (of the file, or of its nearest existing directory), so
 * `/etc/haproxy/../haproxy/haproxy.cfg` and a symlink to it are the same destination.
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import type { ResourceSpec, TemplateSpec } from './types.ts';

/** The real path a destination writes to (`dst` may not exist yet, nor its directories). */
export async function canonicalDestination(dst: string): Promise<string> {
  const abs = resolve(dst);
  try {
    return await realpath(abs);
  } catch {
    const dir = dirname(abs);
    if (dir === abs) return abs;
    return join(await canonicalDestination(dir), basename(abs));
  }
}

const where = (r: ResourceSpec, t: TemplateSpec) => `resource "${r.name}" (${t.origin.file}${t.origin.line !== undefined ? `:${t.origin.line}` : ''})`;

/** Throws ConfigError naming both resources and their lines when two templates share a destination. */
export async function checkUniqueDestinations(resources: readonly ResourceSpec[]): Promise<void> {
  const seen = new Map<string, { r: ResourceSpec; t: TemplateSpec }>();
  for (const r of resources) {
    for (const t of r.templates) {
      const real = await canonicalDestination(t.dst);
      const first = seen.get(real);
      if (first) {
        const same = real === t.dst && real === first.t.dst ? '' : ` (both resolve to ${real})`;
        throw new ConfigError(
          { file: t.origin.file, line: t.origin.line, key: 'dst' },
          `${t.dst} is also the dst of ${where(first.r, first.t)}${same}; two templates must not write one file: ${where(r, t)} and ${where(first.r, first.t)}`,
        );
      }
      seen.set(real, { r, t });
    }
  }
}
