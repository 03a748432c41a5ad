/**
 * Large output built in flat chunks. Appending to one string builds a rope whose nodes survive
 * scavenge after scavenge while a large config renders; past CHUNK_CHARS the text so far is
 * flattened and set aside, and everything is joined once at the end. The Go engine uses
 * ChunkedText; compiled Nunjucks templates do the same in generated code (compile.ts).
 */

/** Output length at which the text so far becomes one finished chunk. */
export const CHUNK_CHARS = 65_536;

export class ChunkedText {
  #tail = '';
  readonly #chunks: string[] = [];

  append(text: string): void {
    this.#tail += text;
    if (this.#tail.length > CHUNK_CHARS) {
      this.#tail.charCodeAt(0); // flattens it: the rope's nodes die young
      this.#chunks.push(this.#tail);
      this.#tail = '';
    }
  }

  /** Everything appended, in order. */
  text(): string {
    return this.#chunks.join('') + this.#tail;
  }
}
