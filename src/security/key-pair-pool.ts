// Application key pairs generated ahead of use, a few at a time on the libuv threadpool, so that RSA generation
// (~150 ms of CPU each) overlaps the API calls of a long step instead of adding to them. Keys stay in this
// process's memory until taken; whoever takes one writes it to the sink before using it.
import { availableParallelism } from "node:os";
import { generateKeyPairAsync, type KeyPair } from "./generate-key-pair.js";

export class KeyPairPool {
  private readonly ready: Promise<KeyPair>[] = [];
  private readonly queue: (() => void)[] = [];
  private running = 0;
  /** Key pairs announced and not yet taken. */
  private wanted = 0;

  /**
   * @param parallel generations at once. Default: the CPU count, at most 2, so that two of the threadpool's four
   * threads stay free for file writes (the journal's fsync must not queue behind key generation).
   * @param lookahead at most this many generated ahead of the takes: announcements that are never taken (a run
   * that stops early) waste little CPU, while an applied one keeps generation running as long as keys are taken.
   */
  constructor(
    private readonly generate: () => Promise<KeyPair> = generateKeyPairAsync,
    private readonly parallel: number = Math.max(1, Math.min(2, availableParallelism())),
    private readonly lookahead = 32,
  ) {}

  /**
   * Announces `count` more key pairs to be taken soon (one per change that will take one): generation starts now,
   * up to `lookahead` ahead.
   */
  announce(count = 1): void {
    this.wanted += count;
    this.fill();
  }

  /** A key pair: one generated ahead if any, else a new one. Never the same pair twice. */
  take(): Promise<KeyPair> {
    this.wanted = Math.max(0, this.wanted - 1);
    const pair = this.ready.shift() ?? this.limited();
    this.fill();
    return pair;
  }

  /** Key pairs generated or under way and not yet taken. */
  get size(): number {
    return this.ready.length;
  }

  private fill(): void {
    while (this.ready.length < Math.min(this.wanted, this.lookahead)) {
      const pair = this.limited();
      // Taken later, perhaps never (a plan that is not applied): a failure must not be an unhandled rejection.
      pair.catch(() => undefined);
      this.ready.push(pair);
    }
  }

  private async limited(): Promise<KeyPair> {
    if (this.running >= this.parallel) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.running++;
    try {
      return await this.generate();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}
