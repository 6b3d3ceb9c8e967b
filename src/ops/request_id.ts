import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "hono";
import type { EstEnv } from "../est/env.ts";

/** Incoming IDs are kept only when short and made of characters safe to log and echo. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:@\/+=-]{1,128}$/;

/** The client's X-Request-ID when it is safe, else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === "string" && SAFE_REQUEST_ID.test(header) ? header : crypto.randomUUID();
}

/**
 * Where the listener leaves a request's ID: a property of the request itself,
 * not a WeakMap entry, which the collector would have to trace as an
 * ephemeron for every request still in the heap.
 */
const REQUEST_ID = Symbol("requestId");
type WithRequestId = IncomingMessage & { [REQUEST_ID]?: string };

/**
 * Gives a request its ID where it meets node:http, and the response its
 * X-Request-ID header there, errors included: setting it on the web Response
 * instead would turn the adapter's plain response into a full one.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): void {
  const id = requestIdFrom(req.headers["x-request-id"]);
  (req as WithRequestId)[REQUEST_ID] = id;
  res.setHeader("X-Request-ID", id);
}

/**
 * Sets `requestId` on the context: the listener's, else (the app used on its
 * own) one made here. Returns whether the response still needs its header.
 */
export function setRequestId(c: Context<EstEnv>): boolean {
  const assigned = (c.env?.incoming as WithRequestId | undefined)?.[REQUEST_ID];
  c.set("requestId", assigned ?? requestIdFrom(c.req.header("x-request-id")));
  return assigned === undefined;
}
