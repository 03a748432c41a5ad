/**
 * The rancher backend without Rancher (DISABLE_METADATA): the metadata root read from a local
 * JSON or YAML file and flattened exactly as the live service's answers are, so the same
 * templates render. The file is watched; an unreadable or broken file never replaces the last
 * good tree.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BackendError, errorMessage } from '../../errors.ts';
import { parseDataFile, reportMissed, watchFiles } from '../file.ts';
import { flattenMetadata } from './flatten.ts';
import { contentRevision } from '../revision.ts';
import { selectPrefixes } from '../select.ts';
import type { Backend, BackendContext } from '../contract.ts';

export function offlineRancherBackend(name: string, answersFile: string, ctx: BackendContext): Backend {
  const path = resolve(ctx.baseDir, answersFile);
  ctx.logger.info({ answersFile: path }, 'Rancher metadata disabled: reading the answers file instead');
  return {
    name,
    kind: 'rancher',
    async getValues(prefixes, opts) {
      let doc: unknown;
      try {
        doc = await parseDataFile(path, await readFile(path, { encoding: 'utf8', signal: opts?.signal }));
      } catch (e) {
        throw new BackendError(name, `cannot read answers file ${path}: ${errorMessage(e)}`, { cause: e });
      }
      const values = selectPrefixes(flattenMetadata(doc ?? {}, '/'), prefixes);
      return { values, revision: contentRevision(values) };
    },
    async watch(prefixes, onEvent, opts) {
      const stop = watchFiles([path], onEvent, opts?.signal);
      await reportMissed(() => this.getValues(prefixes, opts), opts?.since, onEvent);
      return stop;
    },
    async close() {},
  };
}
