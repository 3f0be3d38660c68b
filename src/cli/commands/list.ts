// `vonage-ir list`: the shipped runbooks with their steps, and the actions with their params.
import { join } from "node:path";
import { z } from "zod";
import { ExitCode } from "../../core/errors.js";
import { loadRunbookFile } from "../../runbook/load-runbook.js";
import type { CliIo } from "../io.js";
import type { Values } from "../command.js";
import { RUNBOOK_DIR, shippedRunbookIds } from "../session.js";
import { createShippedRegistry } from "../shipped-registry.js";

interface ParamInfo {
  name: string;
  type: string;
  required: boolean;
  default?: unknown;
}

function paramsOf(schema: z.ZodType): ParamInfo[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<
      string,
      { type?: string; enum?: unknown[]; default?: unknown; items?: { type?: string } }
    >;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, p]) => ({
    name,
    type: p.enum
      ? p.enum.map((v) => JSON.stringify(v)).join(" | ")
      : p.type === "array"
        ? `${p.items?.type ?? "any"}[]`
        : (p.type ?? "any"),
    required: (json.required ?? []).includes(name) && p.default === undefined,
    ...(p.default === undefined ? {} : { default: p.default }),
  }));
}

export default async function list({ values }: { values: Values }, io: CliIo): Promise<number> {
  const registry = createShippedRegistry();
  const files = shippedRunbookIds().map((id) => `${id}.yaml`);
  const runbooks = [];
  for (const file of files) {
    const { runbook } = await loadRunbookFile(join(RUNBOOK_DIR, file), registry);
    runbooks.push({
      id: runbook.id,
      title: runbook.title,
      version: runbook.version,
      file: join("runbooks", file),
      steps: runbook.steps.map((s) => ({
        id: s.id,
        title: s.title,
        kind: s.manual ? "manual" : (s.action ?? ""),
      })),
      inputs: Object.entries(runbook.inputs).map(([name, spec]) => ({
        name,
        type: spec.type,
        required: Boolean(spec.required),
        description: spec.description,
      })),
    });
  }
  const actions = [...registry.actions.values()]
    .filter((a) => a.id !== "manual")
    .map((a) => ({ id: a.id, title: a.title, why: a.why, params: paramsOf(a.params) }));
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ runbooks, actions }, null, 2)}\n`);
    return ExitCode.ok;
  }
  const lines: string[] = ["Runbooks:"];
  for (const r of runbooks) {
    lines.push(`  ${r.id}  ${r.title} (v${r.version}, ${r.file})`);
    r.steps.forEach((s, i) =>
      lines.push(
        `    ${String(i + 1).padStart(2)}. ${s.id.padEnd(26)} ${s.kind === "manual" ? "[manual] " : `[${s.kind}] `}${s.title}`,
      ),
    );
    if (r.inputs.length > 0) {
      lines.push("    inputs (config keys):");
      for (const input of r.inputs)
        lines.push(
          `      ${input.name} (${input.type}${input.required ? ", required" : ""})${input.description ? `: ${input.description}` : ""}`,
        );
    }
  }
  lines.push("", "Actions:");
  for (const a of actions) {
    lines.push(`  ${a.id}  ${a.title}`);
    lines.push(`    why: ${a.why}`);
    for (const p of a.params) {
      lines.push(
        `    ${p.name}: ${p.type}${p.required ? " (required)" : ""}${p.default !== undefined ? ` = ${JSON.stringify(p.default)}` : ""}`,
      );
    }
  }
  io.stdout.write(`${lines.join("\n")}\n`);
  return ExitCode.ok;
}
