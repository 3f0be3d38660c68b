import { defineConfig } from "vitest/config";

// `npm run chaos`: the full crash-and-resume suite (CHAOS_K kills, default 200; CHAOS_SEED to replay).
export default defineConfig({
  test: {
    include: ["test/chaos/**/*.test.ts"],
    testTimeout: 4 * 60 * 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
