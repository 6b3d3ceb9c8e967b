import type { Context } from "hono";
import { encodeCsrAttrs } from "../../pki/csrattrs.ts";
import type { EstEnv } from "../env.ts";
import { responseLayout } from "../labels.ts";
import { MEDIA } from "../media_types.ts";
import { base64Response } from "../responses.ts";

/** GET /csrattrs: the configured CSR attributes (the label's, else the server's); 204 when none. */
export function csrAttrsHandler(c: Context<EstEnv>): Response {
  const { settings } = c.get("services");
  const specs = c.get("labelPolicy")?.csrattrs ?? settings.csrattrs;
  if (specs === undefined || specs.length === 0) return new Response(null, { status: 204 });
  return base64Response(
    encodeCsrAttrs(specs),
    MEDIA.csrAttrs,
    responseLayout(c.get("labelPolicy"), settings.layout),
  );
}
