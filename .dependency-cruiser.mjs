// The layer table of docs/architecture.md, enforced: `npm test` runs `npm run layers` (depcruise src), and a
// violation fails it with the importing file, the imported one and the rule's comment. Folder order, lowest first:
//   core/ (errors, redaction, the plain data types that cross layers) → io/, security/, vonage/ → actions/ →
//   runbook/ → engine/ → cli/; simulator/ stands alone. A folder imports only folders below it.
const LAYERS = ["core", "io", "security", "vonage", "actions", "runbook", "engine", "cli", "simulator"];

/** What each folder may import besides itself (src/index.ts, the library entry, may import any but cli/). */
const MAY_IMPORT = {
  core: [],
  io: ["core"],
  security: ["core"],
  vonage: ["core"],
  actions: ["core", "io", "security", "vonage"],
  runbook: ["core", "io", "actions"],
  engine: ["core", "io", "security", "vonage", "actions", "runbook"],
  cli: ["core", "io", "security", "vonage", "actions", "runbook", "engine", "simulator"],
  simulator: [],
};

const layerRules = LAYERS.map((layer) => {
  const forbidden = LAYERS.filter((other) => other !== layer && !MAY_IMPORT[layer].includes(other));
  return {
    name: `layer-${layer}`,
    severity: "error",
    comment:
      `src/${layer}/ may import only ${MAY_IMPORT[layer].map((l) => `src/${l}/`).join(", ") || "its own files"}` +
      " (docs/architecture.md, the layer table)",
    from: { path: `^src/${layer}/` },
    to: { path: `^src/(${forbidden.join("|")})/` },
  };
});

export default {
  forbidden: [
    ...layerRules,
    {
      name: "no-circular",
      severity: "error",
      comment: "an import circle: a module cannot be understood (or tested) without the one that imports it",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "commands-only-from-main",
      severity: "error",
      comment:
        "src/cli/main.ts is the only importer of the commands: a command's shared code lives in a src/cli/ module of its own",
      from: { path: "^src/", pathNot: "^src/cli/main\\.ts$" },
      to: { path: "^src/cli/commands/" },
    },
    {
      name: "library-entry-not-cli",
      severity: "error",
      comment: "src/index.ts (the package's library entry) must not pull in the command line",
      from: { path: "^src/index\\.ts$" },
      to: { path: "^src/cli/" },
    },
    {
      name: "sdk-only-in-vonage",
      severity: "error",
      comment:
        "the Vonage SDK is reached through the Gateway (src/vonage/): dry-run is enforced there, in one place",
      from: { path: "^src/", pathNot: "^src/vonage/" },
      to: { path: "(^|/)node_modules/@vonage/" },
    },
    {
      name: "actions-use-the-gateway-interface",
      severity: "error",
      comment: "actions call the Gateway interface (src/vonage/gateway.ts), never the SDK adapter behind it",
      from: { path: "^src/actions/" },
      to: {
        path: "^src/vonage/(sdk/|(sdk-gateway|request-scheduler|map-vonage-error|dry-run-gateway)\\.ts$)",
      },
    },
    {
      name: "ui-libraries-only-in-io",
      severity: "error",
      comment:
        "Inquirer and listr2 live behind src/io/ (the Prompter and the task-list renderer, chosen in one place)",
      from: { path: "^src/", pathNot: "^src/io/" },
      to: { path: "(^|/)node_modules/(inquirer|@inquirer/|listr2)/" },
    },
    {
      name: "no-dev-dependencies-in-src",
      severity: "error",
      comment: "src/ ships: it may not import a devDependency (vitest, typescript, ...)",
      from: { path: "^src/" },
      to: { dependencyTypes: ["npm-dev"] },
    },
    {
      name: "no-test-code-in-src",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^test/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
    },
    includeOnly: "(^src/|(^|/)node_modules/)",
  },
};
