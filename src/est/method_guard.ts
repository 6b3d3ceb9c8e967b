import type { Handler } from "hono";
import type { EstEnv } from "./env.ts";
import { MethodNotAllowedError } from "../errors.ts";

/**
 * For a path's other methods: OPTIONS answers 204 with Allow, anything else
 * 405 with Allow. `operation` names the path for logs and metrics.
 */
export function methodGuard(allow: readonly string[], operation: string): Handler<EstEnv> {
  return (c) => {
    c.set("operation", operation);
    if (c.req.method === "OPTIONS") return c.body(null, 204, { "Allow": allow.join(", ") });
    throw new MethodNotAllowedError(allow);
  };
}
