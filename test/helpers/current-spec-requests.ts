// Checks requests (JSON or form body, query) against the request side of Vonage's current OpenAPI files, from
// VONAGE_OPENAPI_DIR or ../shared/vonage-openapi/current. Objects are closed: a field the request schema does
// not have is a problem, which is how Vonage's create validation treats it (400 #payload-validation).

import { readFileSync } from "node:fs";
import path from "node:path";

import { Ajv, type ValidateFunction } from "ajv";
import { parse } from "yaml";
import { pointer, specDir, specSkipReason } from "../simulator/spec-validator.js";

type Json = Record<string, unknown>;

/** The folder of the current specs (VONAGE_OPENAPI_DIR or ../shared), or undefined: one rule for every contract test. */
export const currentSpecDir = specDir;

/** The one line a skipped contract suite shows, naming the variable that would enable it. */
export const SPEC_SKIP_REASON = specSkipReason;

// Said once per test file that imports this, on the console, besides the skipped test named after it.
if (currentSpecDir === undefined) console.warn(SPEC_SKIP_REASON);

/** The spec of each API the gateway calls, with the path prefix of its server URL. */
export const REQUEST_SPECS = [
  { file: "vonage-account-openapi.yml", prefix: "" },
  { file: "vonage-application-v2-openapi.yml", prefix: "" },
  { file: "vonage-numbers-openapi.yml", prefix: "" },
  { file: "vonage-subaccounts-openapi.yml", prefix: "/accounts" },
  { file: "vonage-audit-openapi.yml", prefix: "/beta/audit" },
  { file: "vonage-external-accounts-openapi.yml", prefix: "/beta/chatapp-accounts" },
  { file: "vonage-reports-openapi.yml", prefix: "" },
] as const;

const docs = new Map<string, Json>();
function load(file: string): Json {
  if (currentSpecDir === undefined) throw new Error(SPEC_SKIP_REASON);
  let doc = docs.get(file);
  if (!doc) {
    doc = parse(readFileSync(path.join(currentSpecDir, file), "utf8")) as Json;
    docs.set(file, doc);
  }
  return doc;
}

/** Inlines the file's own $refs and closes every object schema that lists its properties. */
function strict(node: unknown, doc: Json, depth = 0): unknown {
  if (depth > 60) throw new Error("$ref nesting too deep");
  if (Array.isArray(node)) return node.map((n) => strict(n, doc, depth + 1));
  if (typeof node !== "object" || node === null) return node;
  const obj = node as Json;
  if (typeof obj["$ref"] === "string") {
    return strict(pointer(doc, obj["$ref"].split("#")[1] ?? ""), doc, depth + 1);
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === "example" || k === "examples" || k === "xml" || k === "format" || k.startsWith("x-")) continue;
    out[k] = strict(v, doc, depth + 1);
  }
  if (typeof out["properties"] === "object" && out["additionalProperties"] === undefined) {
    out["additionalProperties"] = false;
  }
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true });
// Forms and query strings carry text: "true", "100" stand for the boolean and the number the schema says.
const ajvText = new Ajv({ strict: false, allErrors: true, coerceTypes: true });

export interface RequestOperation {
  file: string;
  pathKey: string;
  method: string;
  op: Json;
}

function templateMatches(template: string, actual: string): boolean {
  const t = template.split("/");
  const a = actual.split("/");
  return t.length === a.length && t.every((part, i) => /^\{.+\}$/.test(part) || part === a[i]);
}

/** The spec operation a request to `urlPath` with `method` is, across REQUEST_SPECS; undefined if none. */
export function findOperation(method: string, urlPath: string): RequestOperation | undefined {
  const m = method.toLowerCase();
  for (const { file, prefix } of REQUEST_SPECS) {
    if (!urlPath.startsWith(prefix)) continue;
    // The server URL itself is the spec's path "/" (the External Accounts listing).
    const rest = urlPath.slice(prefix.length) || "/";
    const paths = load(file)["paths"] as Json;
    // Literal paths first, so /v2/applications/{id} never hides a literal sibling.
    const keys = Object.keys(paths).sort((x, y) => x.split("{").length - y.split("{").length);
    for (const pathKey of keys) {
      const op = (paths[pathKey] as Json)[m] as Json | undefined;
      if (op && templateMatches(pathKey, rest)) return { file, pathKey, method: m, op };
    }
  }
  return undefined;
}

const compiled = new Map<string, ValidateFunction>();
function compile(key: string, schema: unknown, text: boolean): ValidateFunction {
  let validate = compiled.get(key);
  if (!validate) {
    validate = (text ? ajvText : ajv).compile(schema as object);
    compiled.set(key, validate);
  }
  return validate;
}

function errors(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map((e) => {
    const extra = e.keyword === "additionalProperties" ? ` (${String(e.params["additionalProperty"])})` : "";
    return `${e.instancePath || "/"} ${e.message ?? ""}${extra}`;
  });
}

/** The request body schema of an operation (closed), with the media type it is declared for. */
export function requestBodySchema(
  file: string,
  pathKey: string,
  method: string,
): { media: string; schema: Json } | undefined {
  const doc = load(file);
  const op = ((doc["paths"] as Json)[pathKey] as Json)[method.toLowerCase()] as Json;
  const body = strict(op["requestBody"], doc) as Json | undefined;
  const content = body?.["content"] as Json | undefined;
  if (!content) return undefined;
  const media = Object.keys(content)[0] ?? "";
  return { media, schema: (content[media] as Json)["schema"] as Json };
}

/** Problems of a JSON or form request body against the operation's request schema; empty when it conforms. */
export function bodyProblems(
  file: string,
  pathKey: string,
  method: string,
  contentType: string | undefined,
  rawBody: string,
): string[] {
  const declared = requestBodySchema(file, pathKey, method);
  if (!declared)
    return rawBody === "" ? [] : [`a body (${rawBody.length} bytes) where the spec declares none`];
  const form = declared.media === "application/x-www-form-urlencoded";
  const sent = (contentType ?? "").split(";")[0]?.trim() ?? "";
  if (rawBody !== "" && sent !== declared.media)
    return [`content-type ${sent || "(none)"}, not ${declared.media}`];
  const body: unknown = form
    ? Object.fromEntries(new URLSearchParams(rawBody))
    : rawBody === ""
      ? {}
      : (JSON.parse(rawBody) as unknown);
  const validate = compile(`${file} ${method} ${pathKey} body`, declared.schema, form);
  return validate(body) ? [] : errors(validate);
}

/** Problems of a query string: every parameter declared `in: query` by the operation, with a valid value. */
export function queryProblems(operation: RequestOperation, query: URLSearchParams): string[] {
  const doc = load(operation.file);
  const pathItem = (doc["paths"] as Json)[operation.pathKey] as Json;
  const params = [
    ...((pathItem["parameters"] as unknown[] | undefined) ?? []),
    ...((operation.op["parameters"] as unknown[] | undefined) ?? []),
  ].map((p) => strict(p, doc) as Json);
  const declared = new Map(params.filter((p) => p["in"] === "query").map((p) => [String(p["name"]), p]));
  const problems: string[] = [];
  for (const [name, value] of query) {
    const param = declared.get(name);
    if (!param) {
      problems.push(`query parameter ${name} is not declared`);
      continue;
    }
    const validate = compile(
      `${operation.file} ${operation.method} ${operation.pathKey} ?${name}`,
      { type: "object", properties: { v: param["schema"] ?? {} } },
      true,
    );
    if (!validate({ v: value })) problems.push(...errors(validate).map((e) => `?${name}: ${e}`));
  }
  return problems;
}
