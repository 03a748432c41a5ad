/**
 * A data file as a conformance store: a flat model written as YAML or JSON, alternately in place
 * and by rename-over (as an editor or a deploy replaces a file), so both fs.watch paths are
 * exercised. `break` writes text no parser accepts; `repair` writes the model again.
 */
import { rename, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { stringify } from 'yaml';
import { applyOps, nest, type Op } from './conformance-driver.ts';

export class FileStore {
  readonly model = new Map<string, string>();
  #writes = 0;

  /** `shape` turns the nested model into the document (e.g. wraps it as a metadata root). */
  constructor(
    readonly path: string,
    readonly shape: (nested: Record<string, unknown>) => unknown = (n) => n,
  ) {}

  async write(ops: readonly Op[] = []): Promise<void> {
    for (const op of ops.length > 0 ? ops : [undefined]) {
      if (op) applyOps(this.model, [op]);
      await this.#put(this.#render());
    }
  }

  async seed(data: ReadonlyMap<string, string>): Promise<void> {
    this.model.clear();
    for (const [k, v] of data) this.model.set(k, v);
    await this.#put(this.#render());
  }

  async break(): Promise<void> {
    await this.#put(extname(this.path) === '.json' ? '{"app": {"db": ' : 'app: [unclosed\n  - : {\n');
  }

  async repair(): Promise<void> {
    await this.#put(this.#render());
  }

  #render(): string {
    const doc = this.shape(nest(this.model));
    return extname(this.path) === '.json' ? JSON.stringify(doc, null, 2) : stringify(doc);
  }

  async #put(text: string): Promise<void> {
    this.#writes++;
    if (this.#writes % 2 === 0) {
      const tmp = `${this.path}.${this.#writes}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, this.path);
    } else {
      await writeFile(this.path, text);
    }
  }
}
