import type { MiddlewareHandler } from "hono";
import type { EstEnv } from "../../est/env.ts";
import { connectionInfo } from "../../tls/connection.ts";

/**
 * 429 for a client address over its rate (the services' limits, when there
 * are any), before the request is read or authenticated.
 */
export const addressRateMiddleware: MiddlewareHandler<EstEnv> = async (c, next) => {
  c.get("services").limits?.checkAddress(connectionInfo(c).remoteAddr);
  await next();
};
