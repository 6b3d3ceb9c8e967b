import type { Context } from "hono";
import type { EstEnv } from "../env.ts";
import { NotFoundError } from "../../errors.ts";
import { resolveLabel } from "../labels.ts";
import { MEDIA } from "../media_types.ts";
import { encodeCertsOnly } from "../../pki/pkcs7.ts";
import { base64Response } from "../responses.ts";
import type { EstServices } from "../services.ts";

/** GET /cacerts: the CA chain as a certs-only PKCS#7; no authentication. */
export function caCertsHandler(services: EstServices) {
  return async (c: Context<EstEnv>): Promise<Response> => {
    const label = c.req.param("label");
    resolveLabel(label, services.settings.labels, services.backend);
    const chain = await services.backend.caCerts(label);
    if (chain.length === 0) throw new NotFoundError("Certificate chain for CA not available");
    return base64Response(encodeCertsOnly(chain), MEDIA.caCerts, services.settings.layout);
  };
}
