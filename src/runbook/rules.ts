// Cross-step rules that a schema cannot express: unique step ids, known actions and verifiers, params valid
// for their action, `when` and templates naming declared inputs.
import type { Action, Registry } from "../actions/action.js";
import type { ValidationIssue } from "../core/errors.js";
import type { InputSpec, Runbook, Step, WhenCondition } from "./schema.js";
import { inputsReferenced, templateInput } from "./templates.js";
import { echoValue, zodIssues, type PathSegment, type YamlSource } from "./yaml-source.js";

type At = (...rest: PathSegment[]) => PathSegment[];

export function checkRunbookRules(
  runbook: Runbook,
  source: YamlSource,
  registry: Registry,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Map<string, number>();
  const inputs = runbook.inputs;
  checkInputs(inputs, source, issues);

  runbook.steps.forEach((step, index) => {
    const at = (...rest: PathSegment[]) => ["steps", index, ...rest];
    const first = seen.get(step.id);
    if (first !== undefined) {
      issues.push(source.issue(at("id"), `duplicate step id "${step.id}" (first used by steps[${first}])`));
    } else {
      seen.set(step.id, index);
    }

    if (step.when) checkWhen(step.when, at("when"), inputs, source, issues);
    if (step.manual) checkManual(step.manual, at, inputs, registry, source, issues);

    if (step.action === undefined) return;
    const action = registry.actions.get(step.action);
    if (!action) {
      issues.push(
        source.issue(
          at("action"),
          `unknown action "${step.action}" (run \`vonage-ir list\` to see the actions)`,
        ),
      );
      return;
    }
    checkParams(step, action, at, inputs, source, issues);
  });
  return issues;
}

/** An enum input's default and choices are among its values. */
function checkInputs(inputs: Record<string, InputSpec>, source: YamlSource, issues: ValidationIssue[]): void {
  for (const [name, spec] of Object.entries(inputs)) {
    if (spec.type === "enum" && spec.default !== undefined && !spec.values.includes(spec.default)) {
      issues.push(
        source.issue(
          ["inputs", name, "default"],
          `expected one of the input's values: ${spec.values.map((v) => JSON.stringify(v)).join(" | ")}`,
        ),
      );
    }
    if (spec.type === "enum") {
      for (const value of Object.keys(spec.choices ?? {})) {
        if (!spec.values.includes(value)) {
          issues.push(
            source.issue(
              ["inputs", name, "choices", value],
              `not one of the input's values: ${spec.values.map((v) => JSON.stringify(v)).join(" | ")}`,
            ),
          );
        }
      }
    }
  }
}

/** A manual step's instructions name declared inputs, its verifier exists, its evidence patterns compile. */
function checkManual(
  manual: NonNullable<Step["manual"]>,
  at: At,
  inputs: Record<string, InputSpec>,
  registry: Registry,
  source: YamlSource,
  issues: ValidationIssue[],
): void {
  for (const name of inputsReferenced(manual.instructions)) {
    if (!(name in inputs)) issues.push(source.issue(at("manual", "instructions"), `unknown input "${name}"`));
  }
  if (manual.verify !== undefined && !registry.verifiers.has(manual.verify)) {
    issues.push(
      source.issue(
        at("manual", "verify"),
        `unknown verifier "${manual.verify}" (known: ${[...registry.verifiers.keys()].join(", ") || "none"})`,
      ),
    );
  }
  for (const [i, field] of manual.evidence.entries()) {
    if (field.pattern === undefined) continue;
    try {
      new RegExp(field.pattern);
    } catch {
      issues.push(source.issue(at("manual", "evidence", i, "pattern"), "not a valid regular expression"));
    }
  }
}

/**
 * A step's `with` valid for its action: `${inputs.x}` only as a whole value and of a declared input; a value whose
 * input has no default is validated at plan time, once the config gives it.
 */
function checkParams(
  step: Step,
  action: Action,
  at: At,
  inputs: Record<string, InputSpec>,
  source: YamlSource,
  issues: ValidationIssue[],
): void {
  const params: Record<string, unknown> = {};
  const deferred = new Set<string>();
  for (const [key, value] of Object.entries(step.with ?? {})) {
    const name = templateInput(value);
    if (name === undefined) {
      params[key] = value;
      for (const ref of inputsReferenced(value)) {
        issues.push(
          source.issue(
            at("with", key),
            ref in inputs
              ? `"\${inputs.${ref}}" is substituted only as the whole value of a "with" key (text or lists around it are passed as they are)`
              : `unknown input "${ref}"`,
          ),
        );
      }
      continue;
    }
    const spec = inputs[name];
    if (!spec) {
      issues.push(source.issue(at("with", key), `unknown input "${name}"`));
    } else if (spec.default !== undefined) {
      params[key] = spec.default;
    } else {
      deferred.add(key); // validated at plan time, once the config gives the value
    }
  }
  const parsed = action.params.safeParse(params);
  if (!parsed.success) {
    const relevant = parsed.error.issues.filter((issue) => !deferred.has(String(issue.path[0])));
    issues.push(...zodIssues(source, relevant, at("with")));
  }
}

function checkWhen(
  when: WhenCondition,
  path: PathSegment[],
  inputs: Record<string, InputSpec>,
  source: YamlSource,
  issues: ValidationIssue[],
): void {
  if ("input" in when) {
    if (!(when.input in inputs))
      issues.push(source.issue([...path, "input"], `unknown input "${when.input}"`));
    const spec = inputs[when.input];
    for (const key of ["equals", "notEquals"] as const) {
      const value = when[key];
      if (spec === undefined || value === undefined) continue;
      // A value of another type never compares equal: the condition would be silently constant.
      const expected = spec.type === "number" || spec.type === "boolean" ? spec.type : "string";
      if (spec.type === "list") {
        issues.push(source.issue([...path, key], `input "${when.input}" is a list: test it with isSet`));
      } else if (typeof value !== expected) {
        issues.push(
          source.issue(
            [...path, key],
            `expected a ${expected} (input "${when.input}" is a ${spec.type}), received ${echoValue(value)}`,
          ),
        );
      } else if (spec.type === "enum" && !spec.values.includes(String(value))) {
        issues.push(
          source.issue(
            [...path, key],
            `expected one of the input's values: ${spec.values.map((v) => JSON.stringify(v)).join(" | ")}`,
          ),
        );
      }
    }
    const conditions = ["equals", "notEquals", "isSet"].filter((k) => k in when);
    if (conditions.length !== 1) {
      issues.push(source.issue(path, 'a condition needs exactly one of "equals", "notEquals" or "isSet"'));
    }
  } else if ("all" in when) {
    when.all.forEach((c, i) => checkWhen(c, [...path, "all", i], inputs, source, issues));
  } else if ("any" in when) {
    when.any.forEach((c, i) => checkWhen(c, [...path, "any", i], inputs, source, issues));
  } else {
    checkWhen(when.not, [...path, "not"], inputs, source, issues);
  }
}

export function evaluateWhen(when: WhenCondition, inputs: Readonly<Record<string, unknown>>): boolean {
  if ("input" in when) {
    const value = inputs[when.input];
    if (when.isSet !== undefined) return (value !== undefined && value !== null) === when.isSet;
    if ("equals" in when) return value === when.equals;
    return value !== when.notEquals;
  }
  if ("all" in when) return when.all.every((c) => evaluateWhen(c, inputs));
  if ("any" in when) return when.any.some((c) => evaluateWhen(c, inputs));
  return !evaluateWhen(when.not, inputs);
}

export function describeWhen(when: WhenCondition): string {
  if ("input" in when) {
    if (when.isSet !== undefined) return `${when.input} ${when.isSet ? "is set" : "is not set"}`;
    if ("equals" in when) return `${when.input} = ${JSON.stringify(when.equals)}`;
    return `${when.input} ≠ ${JSON.stringify(when.notEquals)}`;
  }
  if ("all" in when) return when.all.map(describeWhen).join(" and ");
  if ("any" in when) return `(${when.any.map(describeWhen).join(" or ")})`;
  return `not (${describeWhen(when.not)})`;
}
