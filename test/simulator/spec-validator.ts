// Validates simulator responses against Vonage's official OpenAPI files (../shared/vonage-openapi): finds the
// operation's response for a status, dereferences $refs across files, and checks the body with ajv. A few
// documented defects of the 2021 specs are patched, each noted where it is patched.

import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const specDir = path.resolve(repoRoot, "..", "shared", "vonage-openapi");

type Json = Record<string, unknown>;
const KNOWN_FORMATS = new Set(["date", "date-time", "uri", "url", "email", "ipv4", "uuid"]);

const docs = new Map<string, Json>();
function load(file: string): Json {
  let doc = docs.get(file);
  if (!doc) {
    doc = parse(readFileSync(file, "utf8")) as Json;
    docs.set(file, doc);
  }
  return doc;
}

function pointer(doc: Json, ptr: string): unknown {
  let node: unknown = doc;
  for (const part of ptr.split("/").filter((p) => p !== "")) {
    node = (node as Json)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    if (node === undefined) throw new Error(`unresolvable pointer ${ptr}`);
  }
  return node;
}

/** Inlines every $ref (relative to the file it appears in) and drops formats that are not formats. */
function deref(node: unknown, file: string, depth = 0): unknown {
  if (depth > 50) throw new Error("$ref nesting too deep");
  if (Array.isArray(node)) return node.map((n) => deref(n, file, depth + 1));
  if (typeof node !== "object" || node === null) return node;
  const obj = node as Json;
  if (typeof obj["$ref"] === "string") {
    const [rel, ptr = ""] = obj["$ref"].split("#");
    const target = rel ? path.resolve(path.dirname(file), rel) : file;
    return deref(pointer(load(target), ptr), target, depth + 1);
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === "example" || k === "xml" || k.startsWith("x-")) continue;
    // audit.yml: `source_description` has a sentence in `format`.
    if (k === "format" && (typeof v !== "string" || !KNOWN_FORMATS.has(v))) continue;
    out[k] = deref(v, file, depth + 1);
  }
  return out;
}

/** Known defects of the 2021 specs, fixed so that correct responses validate. */
function patch(specFile: string, schema: unknown): unknown {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== "object" || node === null) return;
    const obj = node as Json;
    const props = obj["properties"] as Json | undefined;
    // The 2021 specs use oneOf between alternatives that differ only in their examples (404 invalid-api-key vs
    // invalid-id, the two 401 bodies of top-up, audit `context`), so no body can match exactly one of them.
    if (Array.isArray(obj["oneOf"])) {
      obj["anyOf"] = obj["oneOf"];
      delete obj["oneOf"];
    }
    if (specFile === "audit.yml" && props) {
      // `created_at` says format date, but the API (and the spec's own example) sends 2018-07-04T11:41:32.
      const created = props["created_at"] as Json | undefined;
      if (created?.["format"] === "date") {
        delete created["format"];
        created["pattern"] = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$";
      }
    }
    if (specFile === "subaccounts.yml" && props) {
      // Described as "null if balance is shared with primary account" but typed plain number.
      for (const k of ["balance", "credit_limit"]) {
        const p = props[k] as Json | undefined;
        if (p) p["nullable"] = true;
      }
    }
    if (specFile === "account.yml" && props) {
      // An unset callback is the empty string ("Send an empty string to unset this value").
      for (const k of ["mo-callback-url", "dr-callback-url"]) {
        const p = props[k] as Json | undefined;
        if (p?.["format"] === "url") p["format"] = "url-or-empty";
      }
    }
    Object.values(obj).forEach(visit);
  };
  visit(schema);
  return schema;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat("url-or-empty", (s: string) => s === "" || URL.canParse(s));

const compiled = new Map<string, ValidateFunction>();

export interface ObservedResponse {
  status: number;
  contentType: string | null;
  body: unknown;
}

function operation(specFile: string, pathKey: string, method: string): Json {
  const file = path.join(specDir, specFile);
  const paths = load(file)["paths"] as Json;
  const item = paths[pathKey] as Json | undefined;
  const op = item?.[method.toLowerCase()] as Json | undefined;
  if (!op) throw new Error(`${specFile}: no operation ${method} ${pathKey}`);
  return op;
}

/** The JSON schema of an operation's response, or null when the spec declares the status without a body. */
export function responseSchema(specFile: string, pathKey: string, method: string, status: number): unknown {
  const file = path.join(specDir, specFile);
  const responses = operation(specFile, pathKey, method)["responses"] as Json;
  const raw = responses[String(status)];
  if (raw === undefined)
    throw new Error(`${specFile}: ${method} ${pathKey} does not declare status ${status}`);
  const response = deref(raw, file) as Json | null;
  const content = response?.["content"] as Json | undefined;
  const media = content?.["application/json"] as Json | undefined;
  return media?.["schema"] === undefined ? null : patch(specFile, media["schema"]);
}

/** Problems with a response against the spec; empty when it conforms. */
export function checkResponse(
  specFile: string,
  pathKey: string,
  method: string,
  res: ObservedResponse,
): string[] {
  const problems: string[] = [];
  const key = `${specFile} ${method} ${pathKey} ${res.status}`;
  let validate = compiled.get(key);
  if (!validate) {
    const schema = responseSchema(specFile, pathKey, method, res.status);
    validate = ajv.compile((schema ?? {}) as object);
    compiled.set(key, validate);
  }
  if (res.status === 204) {
    if (res.body !== undefined && res.body !== "") problems.push("204 with a body");
    return problems;
  }
  if (res.contentType?.split(";")[0]?.trim() !== "application/json") {
    problems.push(`content-type ${res.contentType ?? "(none)"} is not application/json`);
  }
  if (!validate(res.body))
    problems.push(...(validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`));
  return problems;
}

/** Validates a body against a named component schema (for statuses an operation does not list). */
export function checkComponent(specFile: string, component: string, body: unknown): string[] {
  const file = path.join(specDir, specFile);
  const schema = patch(specFile, deref(pointer(load(file), `/components/schemas/${component}`), file));
  const validate = ajv.compile(schema as object);
  return validate(body)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}
