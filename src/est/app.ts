import { getLogger } from "@logtape/logtape";
import { type Handler, Hono } from "hono";
import { accessLogMiddleware } from "../ops/access_log.ts";
import { requestIdMiddleware } from "../ops/request_id.ts";
import { mountServiceRoutes } from "../ops/service_routes.ts";
import type { EstEnv } from "./env.ts";
import { errorResponse } from "./error_response.ts";
import { EstError, NotFoundError } from "./errors.ts";
import { caCertsHandler } from "./handlers/cacerts.ts";
import { csrAttrsHandler } from "./handlers/csrattrs.ts";
import { fullCmcHandler } from "./handlers/fullcmc.ts";
import { simpleEnrollHandler } from "./handlers/simpleenroll.ts";
import { methodGuard } from "./method_guard.ts";
import type { EstServices } from "./services.ts";

const log = getLogger(["est", "http"]);

interface Operation {
  name: string;
  method: "GET" | "POST";
  handler: (services: EstServices) => Handler<EstEnv>;
}

/** The EST operations served, each mounted with and without a label segment. */
const OPERATIONS: readonly Operation[] = [
  { name: "cacerts", method: "GET", handler: caCertsHandler },
  { name: "csrattrs", method: "GET", handler: csrAttrsHandler },
  { name: "simpleenroll", method: "POST", handler: simpleEnrollHandler },
  { name: "fullcmc", method: "POST", handler: fullCmcHandler },
];

/** Builds the HTTP application: EST operations, service endpoints, request IDs, access log, errors. */
export function createEstApp(services: EstServices): Hono<EstEnv> {
  const style = services.settings.errorStyle;
  const app = new Hono<EstEnv>({ strict: true });
  app.use(requestIdMiddleware, accessLogMiddleware);
  for (const op of OPERATIONS) {
    const handler = op.handler(services);
    const allow = op.method === "GET" ? ["GET", "HEAD"] : ["POST"];
    for (const path of [`/.well-known/est/${op.name}`, `/.well-known/est/:label/${op.name}`]) {
      app.on(op.method, path, async (c, next) => {
        c.set("operation", op.name);
        c.set("label", c.req.param("label"));
        await next();
      }, handler);
      app.all(path, methodGuard(allow));
    }
  }
  mountServiceRoutes(app, { ...services, version: services.settings.version });
  app.notFound(() => errorResponse(new NotFoundError("Not found"), style));
  app.onError((err, c) => {
    if (!(err instanceof EstError) || err.status >= 500) {
      log.error("request {requestId} failed: {error}", { requestId: c.get("requestId"), error: err });
    }
    return errorResponse(err, style);
  });
  return app;
}
