// The config's `deliver:` (where a new credential goes: a command fed on stdin, or a key in a .env file) and
// `verify:` (commands that say the services are healthy before an old credential dies). Validated here; the
// plan copies each target into the changes that use it, so a saved plan and a resume need nothing else.
import { resolve } from "node:path";
import { z } from "zod";

const ARGV_HINT = "the command as a list, one argument per item: [program, arg, ...] (no shell runs it)";
const argv = z.array(z.string().min(1, "an argument may not be empty")).min(1, ARGV_HINT);

/** Which credentials a target receives: `api-secret`, `subaccount:<api key>`, `application:<id or name>`. */
const credentialSelector = z
  .string()
  .regex(
    /^(api-secret|subaccount:[A-Za-z0-9]+|application:.+)$/,
    'one of "api-secret", "subaccount:<api key>", "application:<id or name>"',
  );

const seconds = (fallback: number, max: number) => z.number().positive().max(max).default(fallback);

const targetName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "letters, digits, . _ - (shown as exec:NAME or dotenv:NAME)");

const common = {
  name: targetName,
  for: z.array(credentialSelector).min(1, "which credentials this target receives"),
  timeoutSeconds: seconds(60, 3600),
  retries: z.number().int().min(0).max(10).default(2),
  backoffSeconds: seconds(2, 300),
};

const dotenvFile = z.strictObject({
  file: z.string().min(1),
  key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a variable name: letters, digits, _"),
  /** Create the file when it does not exist (else a missing file fails the delivery: a typo, another machine). */
  create: z.boolean().default(false),
});

/** An application id (a UUID): a name may be shared by several applications. */
const APPLICATION_ID = /^application:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One object with either key (not a union): a mistake in one is reported at its own path, not as "invalid". */
const targetSchema = z
  .strictObject({ ...common, exec: argv.optional(), dotenv: dotenvFile.optional() })
  .superRefine((target, ctx) => {
    if ((target.exec === undefined) === (target.dotenv === undefined))
      ctx.addIssue({
        code: "custom",
        message: "give exactly one of exec: (a command as a list) or dotenv: { file, key }",
      });
    if (target.dotenv === undefined) return;
    // One key holds one value: a dotenv target receiving several credentials would write them all into it.
    if (target.for.length > 1)
      ctx.addIssue({
        code: "custom",
        path: ["for"],
        message: "a dotenv target sets one key: give it one credential (another target for another key)",
      });
    target.for.forEach((selector, i) => {
      if (selector.startsWith("application:") && !APPLICATION_ID.test(selector))
        ctx.addIssue({
          code: "custom",
          path: ["for", i],
          message:
            "a dotenv target names an application by its id: a name may be shared by several applications, all written into one key",
        });
    });
  });

export const deliverSchema = z.array(targetSchema).superRefine((targets, ctx) => {
  const seen = new Set<string>();
  const keys = new Map<string, string>();
  targets.forEach((t, i) => {
    if (seen.has(t.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: "given twice" });
    seen.add(t.name);
    if (!t.dotenv) return;
    const where = `${resolve(t.dotenv.file)}\0${t.dotenv.key}`;
    const first = keys.get(where);
    if (first !== undefined)
      ctx.addIssue({
        code: "custom",
        path: [i, "dotenv", "key"],
        message: `${t.dotenv.key} in ${t.dotenv.file} is already set by target ${first}: one target per key`,
      });
    else keys.set(where, t.name);
  });
});

export const verifySchema = z.array(
  z.strictObject({
    name: targetName,
    run: argv,
    timeoutSeconds: seconds(30, 3600),
    intervalSeconds: seconds(5, 600),
    deadlineSeconds: seconds(120, 86_400),
  }),
);

export type DeliverTarget = z.infer<typeof deliverSchema>[number];
export type ServiceCheck = z.infer<typeof verifySchema>[number];

export interface DeliveryConfig {
  targets: DeliverTarget[];
  checks: ServiceCheck[];
}

/** `exec:vault-prod`, `dotenv:app-env`: how plans and reports name a target. */
export function targetLabel(target: DeliverTarget): string {
  return `${target.exec ? "exec" : "dotenv"}:${target.name}`;
}
