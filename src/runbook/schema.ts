// The zod schema of a runbook file. runbooks/schema.json is generated from it (npm run schema) and a test
// fails when that file is stale.
import { z } from "zod";

const identifier = z
  .string()
  .regex(
    /^[a-z0-9][a-zA-Z0-9._-]*$/,
    'letters, digits, ".", "_" and "-", starting with a lowercase letter or digit',
  );

const description = z.string().min(1).optional();

export const inputSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("string"),
    description,
    required: z.boolean().optional(),
    default: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal("number"),
    description,
    required: z.boolean().optional(),
    default: z.number().optional(),
  }),
  z.strictObject({
    type: z.literal("boolean"),
    description,
    required: z.boolean().optional(),
    default: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal("datetime"),
    description,
    required: z.boolean().optional(),
    default: z.iso.datetime({ offset: true }).optional(),
  }),
  z.strictObject({
    type: z.literal("enum"),
    description,
    values: z.array(z.string()).min(1),
    required: z.boolean().optional(),
    default: z.string().optional(),
    /** Interactive runs ask when the config does not set it, even with a default (unattended runs take the default). */
    ask: z.boolean().optional(),
    /** One line per value, shown when the input is asked: what choosing it means. */
    choices: z.record(z.string(), z.string().min(1)).optional(),
  }),
  z.strictObject({
    type: z.literal("list"),
    description,
    required: z.boolean().optional(),
    default: z.array(z.string()).optional(),
  }),
]);
export type InputSpec = z.infer<typeof inputSchema>;

export type WhenCondition =
  | {
      input: string;
      equals?: string | number | boolean | undefined;
      notEquals?: string | number | boolean | undefined;
      isSet?: boolean | undefined;
    }
  | { all: WhenCondition[] }
  | { any: WhenCondition[] }
  | { not: WhenCondition };

export const whenSchema: z.ZodType<WhenCondition> = z.lazy(() =>
  z.union([
    z.strictObject({
      input: z.string(),
      equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
      notEquals: z.union([z.string(), z.number(), z.boolean()]).optional(),
      isSet: z.boolean().optional(),
    }),
    z.strictObject({ all: z.array(whenSchema).min(1) }),
    z.strictObject({ any: z.array(whenSchema).min(1) }),
    z.strictObject({ not: whenSchema }),
  ]),
);

export const evidenceFieldSchema = z.strictObject({
  id: identifier,
  label: z.string().min(1),
  required: z.boolean().default(true),
  pattern: z.string().optional(),
});

export const manualSchema = z.strictObject({
  instructions: z.string().min(1),
  evidence: z.array(evidenceFieldSchema).default([]),
  verify: z.string().optional(),
});

export const stepSchema = z
  .strictObject({
    id: identifier,
    title: z.string().min(1),
    why: z.string().min(1).optional(),
    action: z.string().optional(),
    with: z.record(z.string(), z.unknown()).optional(),
    manual: manualSchema.optional(),
    when: whenSchema.optional(),
    confirm: z.boolean().default(false),
    continueOnError: z.boolean().default(false),
  })
  .superRefine((step, ctx) => {
    if ((step.action === undefined) === (step.manual === undefined)) {
      ctx.addIssue({ code: "custom", message: 'a step needs exactly one of "action" or "manual"', path: [] });
    }
    if (step.with !== undefined && step.action === undefined) {
      ctx.addIssue({ code: "custom", message: '"with" is only allowed on an "action" step', path: ["with"] });
    }
  });
export type Step = z.infer<typeof stepSchema>;

export const runbookSchema = z.strictObject({
  id: identifier,
  title: z.string().min(1),
  description: z.string().min(1),
  version: z.union([z.number().int().positive(), z.string().min(1)]),
  inputs: z.record(identifier, inputSchema).default({}),
  steps: z.array(stepSchema).min(1),
});
export type Runbook = z.infer<typeof runbookSchema>;

export function runbookJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(runbookSchema, { io: "input", unrepresentable: "any" });
  return {
    ...schema,
    $id: "https://github.com/vonage-ir/vonage-ir/runbooks/schema.json",
    title: "vonage-ir runbook",
  };
}
