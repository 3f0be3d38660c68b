// The routing table of the fake API: each route file answers the requests it knows and passes on the others;
// the first answer wins, and a request none answers is a 404 in its API's error format.

import { accountRoutes } from "./account-routes.js";
import { applicationRoutes } from "./application-routes.js";
import { auditRoutes } from "./audit-routes.js";
import { externalAccountRoutes } from "./external-account-routes.js";
import { fraudDefenderRoutes } from "./fraud-defender-routes.js";
import { numberRoutes } from "./number-routes.js";
import { notFound, serverError, type ErrorFamily, type Reply } from "./reply.js";
import { reportRoutes } from "./report-routes.js";
import { secretsRoutes } from "./secrets-routes.js";
import type { ApiRequest, RouteHandler, SimContext } from "./sim-context.js";
import { subaccountRoutes } from "./subaccount-routes.js";
import { voiceRoutes } from "./voice-routes.js";

const API_ROUTES: readonly RouteHandler[] = [
  secretsRoutes,
  subaccountRoutes,
  applicationRoutes,
  accountRoutes,
  numberRoutes,
  auditRoutes,
  voiceRoutes,
  externalAccountRoutes,
  fraudDefenderRoutes,
  reportRoutes,
];

/** The reply of the first route that answers `req`; a route that throws is a 500. */
export async function routeApiRequest(ctx: SimContext, req: ApiRequest, family: ErrorFamily): Promise<Reply> {
  let reply: Reply | undefined;
  try {
    for (const route of API_ROUTES) {
      reply = await route(ctx, req);
      if (reply) break;
    }
    reply ??= notFound(family, `No route for ${req.method} ${req.path}`);
  } catch (err) {
    console.error("simulator: route failed", err);
    reply = serverError(family, 500);
  }
  return reply;
}
