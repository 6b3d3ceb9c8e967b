import type { Context } from "hono";
import { encodeCsrAttrs } from "../../pki/csrattrs.ts";
import type { EstEnv } from "../env.ts";
import { resolveLabel } from "../labels.ts";
import { MEDIA } from "../media_types.ts";
import { base64Response } from "../responses.ts";
import type { EstServices } from "../services.ts";

/** GET /csrattrs: the configured CSR attributes (the label's, else the server's); 204 when none. */
export function csrAttrsHandler(services: EstServices) {
  return (c: Context<EstEnv>): Response => {
    const labelSettings = resolveLabel(c.req.param("label"), services.settings.labels, services.backend);
    const specs = labelSettings?.csrattrs ?? services.settings.csrattrs;
    if (specs === undefined || specs.length === 0) return new Response(null, { status: 204 });
    return base64Response(encodeCsrAttrs(specs), MEDIA.csrAttrs, services.settings.layout);
  };
}
