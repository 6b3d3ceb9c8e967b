import type { MiddlewareHandler } from "hono";
import type { EstEnv } from "../est/env.ts";

/** Incoming IDs are kept only when short and made of characters safe to log and echo. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:@\/+=-]{1,128}$/;

/** The client's X-Request-ID when it is safe, else a new UUID. */
export function requestIdFrom(header: string | undefined): string {
  return header !== undefined && SAFE_REQUEST_ID.test(header) ? header : crypto.randomUUID();
}

/** Sets `requestId` on the context and `X-Request-ID` on every response, errors included. */
export const requestIdMiddleware: MiddlewareHandler<EstEnv> = async (c, next) => {
  const id = requestIdFrom(c.req.header("x-request-id"));
  c.set("requestId", id);
  await next();
  c.res.headers.set("X-Request-ID", id);
};
