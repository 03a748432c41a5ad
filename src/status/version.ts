/** keyplate's version for `keyplate_build_info` and the status page: the package.json next to src/ (or dist/ once built). */
import { readFileSync } from 'node:fs';

/** Set by the build (scripts/build.mjs) from package.json: the bundle does not sit two folders below it. */
declare const __KEYPLATE_VERSION__: string | undefined;

export function packageVersion(): string {
  if (typeof __KEYPLATE_VERSION__ === 'string') return __KEYPLATE_VERSION__;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
