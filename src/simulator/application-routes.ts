// Application API v2 (/v2/applications): paged list with `_links.next` on every non-last page (the SDK's
// listAllApplications stops without it), create with a supplied or generated key pair, full-object PUT (which
// may replace the public key in place), both validated against the current request schema, and
// delete with the configurable behaviour for applications that still have numbers linked.

import { createPublicKey } from "node:crypto";

import { validateApplicationRequest } from "./application-request-schema.js";
import { generateKeyPair } from "./generate-key-pair.js";
import { json, noContent, problem, type InvalidParameter, type Reply } from "./reply.js";
import { methodNotAllowed } from "./secrets-routes.js";
import type { ApiRequest, RouteHandler, SimContext } from "./sim-context.js";
import type { SimApplication } from "./sim-state.js";

const ERR = "https://developer.nexmo.com/api-errors/application";
const DEFAULT_PAGE_SIZE = 100;

export function applicationView(app: SimApplication): Record<string, unknown> {
  const { owner: _owner, ...wire } = app;
  return { ...wire, _links: { self: { href: `/v2/applications/${app.id}` } } };
}

export const applicationRoutes: RouteHandler = async (ctx, req) => {
  const m = /^\/v2\/applications(?:\/([^/]+))?\/?$/.exec(req.path);
  if (!m) return undefined;
  const id = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
  if (id === undefined) {
    if (req.method === "GET") return list(ctx, req);
    if (req.method === "POST") return create(ctx, req);
    return methodNotAllowed(req.method);
  }
  const app = ctx.state.applications.find((a) => a.id === id && a.owner === req.caller.account.apiKey);
  if (!["GET", "PUT", "DELETE"].includes(req.method)) return methodNotAllowed(req.method);
  if (!app) {
    return problem(
      404,
      "https://developer.nexmo.com/api-errors#not-found",
      "Not Found",
      `ID '${id}' does not exist, or you do not have access`,
    );
  }
  if (req.method === "GET") return json(200, applicationView(app));
  if (req.method === "PUT") return update(ctx, req, app);
  return remove(ctx, req, app);
};

function positiveInt(raw: string | null, fallback: number): number | undefined {
  if (raw === null) return fallback;
  return /^\d+$/.test(raw) ? Number(raw) : undefined;
}

function list(ctx: SimContext, req: ApiRequest): Reply {
  const pageSize = positiveInt(req.query.get("page_size"), DEFAULT_PAGE_SIZE);
  const page = positiveInt(req.query.get("page"), 1);
  const invalid: InvalidParameter[] = [];
  if (pageSize === undefined || pageSize < 1 || pageSize > 100) {
    invalid.push({ name: "page_size", reason: "must be between 1 and 100" });
  }
  if (page === undefined || page < 1)
    invalid.push({ name: "page", reason: "must be greater than or equal to 1" });
  if (invalid.length > 0 || pageSize === undefined || page === undefined) {
    return problem(
      400,
      `${ERR}#list-validation`,
      "Bad Request",
      "The request failed due to validation errors",
      invalid,
    );
  }
  const mine = ctx.state.applications.filter((a) => a.owner === req.caller.account.apiKey);
  const totalPages = Math.ceil(mine.length / pageSize);
  const href = (p: number): { href: string } => ({
    href: `/v2/applications?page_size=${pageSize}&page=${p}`,
  });
  const links: Record<string, { href: string }> = { self: href(page), first: href(1) };
  if (totalPages > 0) links["last"] = href(totalPages);
  if (page < totalPages) links["next"] = href(page + 1);
  if (page > 1) links["prev"] = href(Math.min(page - 1, Math.max(totalPages, 1)));
  return json(200, {
    page_size: pageSize,
    page,
    total_items: mine.length,
    total_pages: totalPages,
    _embedded: { applications: mine.slice((page - 1) * pageSize, page * pageSize).map(applicationView) },
    _links: links,
  });
}

/** What a create or full update sets. */
interface AppFields {
  name: string;
  capabilities: Record<string, unknown>;
  privacy?: { improve_ai: boolean };
}

/** Validates a create/update body against the current request schema; the fields to store or a 400 reply. */
function readPayload(req: ApiRequest, pathId?: string): { fields: AppFields; publicKey?: string } | Reply {
  const invalid: InvalidParameter[] = [];
  // Vonage's SDKs always send the application's `id` in an update body (and its CLI rotates keys that way),
  // so an update may carry the id of its own path; anything else named `id` is refused.
  const { id, ...body } = req.body;
  if (id !== undefined && (pathId === undefined || id !== pathId)) {
    invalid.push({
      name: "id",
      reason: pathId === undefined ? "is not a recognised field" : "must match the path",
    });
  }
  const checked = req.bodyInvalid
    ? { ok: false as const, invalid: [{ name: "body", reason: "must be a JSON object" }] }
    : validateApplicationRequest(body);
  if (!checked.ok) invalid.push(...checked.invalid);
  let publicKey: string | undefined;
  if (checked.ok) {
    if (checked.value.name.trim() === "") invalid.push({ name: "name", reason: "Is required." });
    const pk = checked.value.keys?.public_key;
    if (pk !== undefined) {
      try {
        createPublicKey(pk);
        publicKey = pk;
      } catch {
        invalid.push({ name: "keys.public_key", reason: "must be a PEM public key" });
      }
    }
  }
  if (!checked.ok || invalid.length > 0) {
    return problem(
      400,
      `${ERR}#payload-validation`,
      "Bad Request",
      "The request failed due to validation errors",
      invalid,
    );
  }
  const { name, capabilities, privacy } = checked.value;
  const fields: AppFields = { name, capabilities: capabilities ?? {} };
  if (privacy?.improve_ai !== undefined) fields.privacy = { improve_ai: privacy.improve_ai };
  return publicKey === undefined ? { fields } : { fields, publicKey };
}

async function create(ctx: SimContext, req: ApiRequest): Promise<Reply> {
  const payload = readPayload(req);
  if ("status" in payload) return payload;
  let privateKey: string | undefined;
  let publicKey = payload.publicKey;
  if (publicKey === undefined) {
    const pair = await generateKeyPair();
    publicKey = pair.publicKey;
    privateKey = pair.privateKey;
  }
  const app: SimApplication = {
    id: ctx.newId(),
    owner: req.caller.account.apiKey,
    keys: { public_key: publicKey },
    // The create schema's default.
    privacy: { improve_ai: true },
    ...payload.fields,
  };
  ctx.state.applications.push(app);
  ctx.record("APP_CREATE", req, {
    appId: app.id,
    created: {
      accountId: app.owner,
      appId: app.id,
      name: app.name,
      type: Object.keys(app.capabilities).join(","),
    },
  });
  const view = applicationView(app);
  // The private key exists only in this response: Vonage never shows it again.
  return json(
    201,
    privateKey === undefined ? view : { ...view, keys: { public_key: publicKey, private_key: privateKey } },
  );
}

function update(ctx: SimContext, req: ApiRequest, app: SimApplication): Reply {
  const payload = readPayload(req, app.id);
  if ("status" in payload) return payload;
  const before = applicationView(app);
  // A full update: capabilities the body leaves out are gone; privacy (no default in the update schema) and
  // the key stay unless sent. The id never changes, so numbers and external accounts stay linked.
  app.name = payload.fields.name;
  app.capabilities = payload.fields.capabilities;
  if (payload.fields.privacy !== undefined) app.privacy = payload.fields.privacy;
  const keyReplaced = payload.publicKey !== undefined && payload.publicKey !== app.keys.public_key;
  if (payload.publicKey !== undefined) app.keys = { public_key: payload.publicKey };
  ctx.record("APP_UPDATE", req, {
    appId: app.id,
    name: app.name,
    before: { name: before["name"], capabilities: before["capabilities"] },
    ...(keyReplaced ? { publicKeyReplaced: true } : {}),
  });
  return json(200, applicationView(app));
}

function remove(ctx: SimContext, req: ApiRequest, app: SimApplication): Reply {
  const linked = ctx.state.numbers.filter((n) => n.appId === app.id);
  if (linked.length > 0 && ctx.behaviour.deleteAppWithNumbers === "refuse") {
    return problem(
      409,
      `${ERR}#numbers-linked`,
      "Application has linked numbers",
      `Application '${app.id}' still has ${linked.length} linked number(s) (${linked
        .slice(0, 5)
        .map((n) => n.msisdn)
        .join(
          ", ",
        )}${linked.length > 5 ? ", ..." : ""}); link them to another application before deleting it`,
    );
  }
  // "orphan" (the default, the unsafe guess: Vonage documents neither): the numbers keep the dead id.
  ctx.state.applications.splice(ctx.state.applications.indexOf(app), 1);
  ctx.record("APP_DELETE", req, {
    appId: app.id,
    name: app.name,
    orphanedNumbers: linked.map((n) => n.msisdn),
  });
  return noContent();
}
