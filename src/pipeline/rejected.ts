/**
 * Remembers, per destination, the hash of the last render that check_cmd rejected, so an identical
 * render is not re-checked (and re-logged) on every interval tick (confd #275). One entry per
 * destination: memory stays bounded however many renders are rejected.
 */
export class RejectedRenders {
  readonly #byDest = new Map<string, string>();

  /** True when exactly this content was already rejected for `dest`. */
  isRejected(dest: string, sha256: string): boolean {
    return this.#byDest.get(dest) === sha256;
  }

  remember(dest: string, sha256: string): void {
    this.#byDest.set(dest, sha256);
  }

  /** Forget `dest` (its render passed the check or no longer differs), or everything. */
  forget(dest?: string): void {
    if (dest === undefined) this.#byDest.clear();
    else this.#byDest.delete(dest);
  }

  get size(): number {
    return this.#byDest.size;
  }
}
