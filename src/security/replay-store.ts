// Remembers the `jti` of accepted signed callbacks so a captured request cannot be replayed.

export interface ReplayStore {
  /**
   * Records `jti` until `expiresAtMs` (epoch ms). Resolves true the first time a jti is seen and false if it is
   * already remembered and not yet expired. Must be atomic per jti if shared between processes.
   */
  checkAndRemember(jti: string, expiresAtMs: number): Promise<boolean>;
}

export interface MemoryReplayStoreOptions {
  /** Epoch milliseconds; injectable for tests. */
  clock?: () => number;
  /** Minimum interval between sweeps of expired entries. */
  sweepIntervalMs?: number;
}

/** In-process replay store. Entries expire, and expired ones are swept, so memory is bounded by traffic × tolerance. */
export class MemoryReplayStore implements ReplayStore {
  readonly #seen = new Map<string, number>();
  readonly #clock: () => number;
  readonly #sweepIntervalMs: number;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(options: MemoryReplayStoreOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 10_000;
  }

  /** Entries currently held (including expired ones not yet swept). */
  get size(): number {
    return this.#seen.size;
  }

  checkAndRemember(jti: string, expiresAtMs: number): Promise<boolean> {
    const now = this.#clock();
    if (now - this.#lastSweep >= this.#sweepIntervalMs) this.sweep(now);
    const until = this.#seen.get(jti);
    if (until !== undefined && until > now) return Promise.resolve(false);
    // Something already expired needs no remembering: the iat tolerance rejects it anyway.
    if (expiresAtMs > now) this.#seen.set(jti, expiresAtMs);
    else this.#seen.delete(jti);
    return Promise.resolve(true);
  }

  /** Drops expired entries. */
  sweep(now: number = this.#clock()): void {
    this.#lastSweep = now;
    for (const [jti, until] of this.#seen) if (until <= now) this.#seen.delete(jti);
  }
}
