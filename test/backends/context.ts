/** A BackendContext for backend tests: silent logger, no env, Node's fetch, cwd as base dir. */
import type { BackendContext } from '../../src/backends/contract.ts';
import { silentLogger } from '../helpers/logger.ts';

export function backendContext(over: Partial<BackendContext> = {}): BackendContext {
  return { logger: silentLogger(), env: {}, fetch: globalThis.fetch, baseDir: process.cwd(), ...over };
}
