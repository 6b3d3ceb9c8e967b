import type { IncomingMessage, ServerResponse } from "node:http";
import type { MiddlewareHandler } from "hono";
import type { EstEnv } from "../est/env.ts";

/** Incoming IDs are kept only when short and made of characters safe to log and echo. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:@\/+=-]{1,128}$/;

/** The client's X-Request-ID when it is safe, else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === "string" && SAFE_REQUEST_ID.test(header) ? header : crypto.randomUUID();
}

const assigned = new WeakMap<IncomingMessage, string>();

/**
 * Gives a request its ID where it meets node:http, and the response its
 * X-Request-ID header there, errors included: setting it on the web Response
 * instead would turn the adapter's plain response into a full one.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): void {
  const id = requestIdFrom(req.headers["x-request-id"]);
  assigned.set(req, id);
  res.setHeader("X-Request-ID", id);
}

/** Sets `requestId` on the context; the app used on its own (no listener) also sets the header itself. */
export const requestIdMiddleware: MiddlewareHandler<EstEnv> = async (c, next) => {
  const incoming = c.env?.incoming as IncomingMessage | undefined;
  const id = incoming && assigned.get(incoming);
  c.set("requestId", id ?? requestIdFrom(c.req.header("x-request-id")));
  await next();
  if (id === undefined) c.res.headers.set("X-Request-ID", c.get("requestId"));
};
