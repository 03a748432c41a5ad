/** What every part of the loader needs: injected side effects and the shared document reader. */
import type { BackendBlock, BackendRegistry } from './backend.ts';
import { expandTree, type Env } from './expand.ts';
import type { LookupUser } from './owner.ts';
import { describeAt, isTable, parseSource, readSource, root, type At, type SourceDoc } from '../schema/document.ts';

export interface LoadContext {
  readonly env: Env;
  readonly registry: BackendRegistry;
  readonly lookupUser: LookupUser;
  readonly warn: (message: string) => void;
  /** The main config file's `[default_backends.*]`, validated. */
  readonly defaults: readonly BackendBlock[];
  /** The main config file (for messages that point users back at it). */
  readonly mainFile: string;
}

/** Read, parse and `${VAR}`-expand one TOML file (or the given text under its name). */
export async function loadDoc(env: Env, file: string, from?: At, text?: string): Promise<SourceDoc> {
  const doc = text === undefined ? await readSource(file, from) : parseSource(file, text);
  const data = expandTree(doc.data, env, root(doc));
  return { ...doc, data: isTable(data) ? data : {} };
}

export function warnAt(ctx: Pick<LoadContext, 'warn'>, at: At, message: string): void {
  ctx.warn(describeAt(at, message));
}
