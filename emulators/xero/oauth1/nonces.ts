// Remembers (consumer key, nonce, timestamp) triples long enough to refuse replays. A nonce only has
// to be unique among requests with the same timestamp (RFC 5849 §3.3); requests outside the accepted
// timestamp window are refused anyway, so entries older than that window are dropped.
export class NonceStore {
  #seen = new Map<string, number>();

  constructor(private readonly retainMs: number) {}

  /** Records the nonce; false if it was already used. */
  use(consumerKey: string, nonce: string, timestampSeconds: string, now: number): boolean {
    this.#prune(now);
    const key = `${consumerKey}\u0000${timestampSeconds}\u0000${nonce}`;
    if (this.#seen.has(key)) return false;
    this.#seen.set(key, now);
    return true;
  }

  clear(): void {
    this.#seen.clear();
  }

  #prune(now: number): void {
    // Map iteration follows insertion order, which is also time order.
    for (const [key, at] of this.#seen) {
      if (now - at <= this.retainMs) break;
      this.#seen.delete(key);
    }
  }
}
