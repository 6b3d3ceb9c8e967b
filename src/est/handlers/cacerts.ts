import type { Context } from "hono";
import { NotFoundError } from "../../errors.ts";
import type { EstEnv } from "../env.ts";
import { responseLayout } from "../labels.ts";
import { MEDIA } from "../media_types.ts";
import { encodeChainCertsOnly } from "../../pki/pkcs7.ts";
import { base64Response } from "../responses.ts";

/** GET /cacerts: the CA chain as a certs-only PKCS#7; no authentication. */
export async function caCertsHandler(c: Context<EstEnv>): Promise<Response> {
  const services = c.get("services");
  const chain = await services.backend.caCerts(c.get("label"));
  if (chain.length === 0) throw new NotFoundError("Certificate chain for CA not available");
  return base64Response(
    encodeChainCertsOnly(chain),
    MEDIA.caCerts,
    responseLayout(c.get("labelPolicy"), services.settings.layout),
  );
}
