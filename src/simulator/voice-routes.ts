// The one Voice API call the simulator serves, GET /v1/calls: authenticated by an application's RS256 JWT, so
// tests can prove that a copy of a replaced or deleted private key no longer works.

import { problem, json, type Reply } from "./reply.js";
import type { RouteHandler } from "./sim-context.js";

export function isJwtPath(path: string): boolean {
  return path === "/v1/calls" || path.startsWith("/v1/calls/");
}

export function invalidJwt(reason: string): Reply {
  return problem(401, "https://developer.nexmo.com/api-errors#unauthorized", "Unauthorized", reason);
}

export const voiceRoutes: RouteHandler = (_ctx, req) => {
  if (!isJwtPath(req.path)) return undefined;
  if (req.path !== "/v1/calls" && req.path !== "/v1/calls/") {
    return problem(404, "https://developer.nexmo.com/api-errors#not-found", "Not Found", "No such call");
  }
  if (req.method !== "GET") {
    return problem(
      405,
      "https://developer.nexmo.com/api-errors#wrong-verb",
      "Method Not Allowed",
      req.method,
    );
  }
  const appId = req.application?.id ?? "";
  // The simulator places no calls: the list is always empty, which is all a credential check needs.
  return json(200, {
    count: 0,
    page_size: 10,
    record_index: 0,
    _links: { self: { href: `/v1/calls?conversation_uuid=&application_id=${appId}` } },
    _embedded: { calls: [] },
  });
};
