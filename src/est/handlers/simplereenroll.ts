import type { Context } from "hono";
import { authorizeRenewal } from "../../authz/enrollment_policy.ts";
import { authenticateRenewal, authzDataOf } from "../authenticate.ts";
import type { EstEnv } from "../env.ts";
import { issuanceProfile, resolveLabel } from "../labels.ts";
import { issuedCertificateResponse } from "../responses.ts";
import type { EstServices } from "../services.ts";
import { readCsr } from "./read_csr.ts";

/**
 * POST /simplereenroll: the TLS client certificate is the one renewed; the
 * CSR must repeat its subject and SAN exactly (a new key is allowed).
 */
export function simpleReenrollHandler(services: EstServices) {
  const { settings } = services;
  return async (c: Context<EstEnv>): Promise<Response> => {
    const label = c.req.param("label");
    const labelSettings = resolveLabel(label, settings.labels, services.backend);
    const { principal, certificate } = await authenticateRenewal(c, services);
    const csr = await readCsr(c, settings);
    const authzData = authzDataOf(c, { principal, certificate }, label);
    const requestId = c.get("requestId");
    await authorizeRenewal(
      { csr, authzData, requestId, tlsCertificate: certificate.leaf },
      services.authorizer,
    );
    const issued = await services.backend.reenroll(csr, certificate.identity.der, {
      ...authzData,
      requestId,
      profile: issuanceProfile(labelSettings),
    });
    c.set("issued", issued);
    return issuedCertificateResponse(issued.der, settings.layout);
  };
}
