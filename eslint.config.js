import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "vonage-ir-runs/", "runbooks/schema.json"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
  {
    // docs/architecture.md: a function longer than a screen hides its phases. One that must stay long says why
    // in an eslint-disable comment on the line above it (`npm run lint` reports that comment once it is not needed).
    files: ["src/**/*.ts"],
    rules: {
      "max-lines-per-function": ["error", { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // The process's environment and exit belong to the command line (src/cli/): everything below receives
    // what it needs as values, so that it runs the same under a test, a drill or another front end.
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**"],
    rules: {
      "no-restricted-properties": [
        "error",
        {
          object: "process",
          property: "env",
          message: "read the environment in src/cli/ and pass the value down",
        },
        {
          object: "process",
          property: "exit",
          message: "only src/cli/ ends the process (it maps errors to exit codes)",
        },
        { object: "process", property: "exitCode", message: "only src/cli/ sets the exit code" },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: {
      globals: Object.fromEntries(
        [
          "process",
          "console",
          "URL",
          "Buffer",
          "fetch",
          "performance",
          "AbortController",
          "setTimeout",
          "clearTimeout",
          "setInterval",
          "clearInterval",
          "setImmediate",
        ].map((name) => [name, "readonly"]),
      ),
    },
  },
);
