// The real clock of a run (the engine's Clock): tests pass a fake one, the CLI passes this.
import type { Clock } from "../actions/action.js";
import { AbortError } from "../core/errors.js";

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolvePromise, reject) => {
      if (signal?.aborted) return reject(new AbortError("aborted while waiting"));
      const timer = setTimeout(resolvePromise, ms);
      signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          reject(new AbortError("aborted while waiting"));
        },
        { once: true },
      );
    }),
};
