/**
 * Template functions the shipped presets use: the validated Rancher routing model, strict
 * booleans, and a guard that keeps a value to one HAProxy word. Skipped containers are recorded
 * as the render's skips (status page, keyplate_skipped_items, one log line per new skip).
 */
import type { SkipRecorder } from '../template/skips.ts';
import type { KeyTree } from '../tree/key-tree.ts';
import { parseFlag, rancherRoutes, type RancherRouteSettings } from './rancher-haproxy.ts';

/** A value that must stay one HAProxy word: no whitespace, no `#`, no quotes or backslashes. */
export function haproxyWord(value: unknown, name = 'value'): string {
  const s = String(value ?? '');
  if (s === '' || /[\s#"'\\]/.test(s)) {
    throw new Error(`${name} must be one word without spaces, newlines, quotes or '#', got ${JSON.stringify(s).slice(0, 60)}`);
  }
  return s;
}

export interface PresetFunctions {
  readonly globals: Record<string, unknown>;
  readonly treeGlobals: Record<string, (tree: KeyTree, resource: string, skip: SkipRecorder) => unknown>;
}

export function presetFunctions(): PresetFunctions {
  return {
    globals: {
      /** Stop the render with this message (the destination keeps its last good version). */
      fail: (message: unknown) => {
        throw new Error(String(message));
      },
      flag: (value: unknown, name?: unknown) => parseFlag(value === undefined || value === null ? undefined : String(value), false, String(name ?? 'value')),
      haproxyWord: (value: unknown, name?: unknown) => haproxyWord(value, String(name ?? 'value')),
    },
    treeGlobals: {
      rancherRoutes: (tree, _resource, skip) => (settings: RancherRouteSettings & { states?: string | readonly string[] }) => {
        const states = typeof settings.states === 'string' ? settings.states.split(',').map((x) => x.trim()).filter(Boolean) : settings.states ?? ['running'];
        const routes = rancherRoutes(tree, { ...settings, states });
        for (const s of routes.skipped) skip(s.code, s.container, s.reason);
        return routes;
      },
    },
  };
}
