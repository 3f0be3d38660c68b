import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // the full chaos suite runs with `npm run chaos` (vitest.chaos.config.ts); a subset is in test/e2e
    exclude: [...configDefaults.exclude, "test/chaos/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
