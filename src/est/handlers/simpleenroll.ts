import type { Context } from "hono";
import { authorizeEnrollment } from "../../authz/enrollment_policy.ts";
import { authenticate, authPolicyFor, authzDataOf } from "../authenticate.ts";
import type { EstEnv } from "../env.ts";
import { issuanceProfile, resolveLabel } from "../labels.ts";
import { issuedCertificateResponse } from "../responses.ts";
import type { EstServices } from "../services.ts";
import { readCsr } from "./read_csr.ts";

/** POST /simpleenroll: authenticate, read the CSR, apply policy, issue, answer with a certs-only PKCS#7. */
export function simpleEnrollHandler(services: EstServices) {
  const { settings } = services;
  return async (c: Context<EstEnv>): Promise<Response> => {
    const label = c.req.param("label");
    const labelSettings = resolveLabel(label, settings.labels, services.backend);
    const { principal, certificate } = await authenticate(
      c,
      services,
      authPolicyFor(services, labelSettings),
    );
    const csr = await readCsr(c, settings);
    const authzData = authzDataOf(c, { principal, certificate }, label);
    const requestId = c.get("requestId");
    await authorizeEnrollment(
      { csr, authzData, requestId, tlsCertificate: certificate?.leaf },
      settings.enrollMatchIdentity,
      services.authorizer,
    );
    const issued = await services.backend.enroll(csr, {
      ...authzData,
      requestId,
      profile: issuanceProfile(labelSettings),
    });
    c.set("issued", issued);
    return issuedCertificateResponse(issued.der, settings.layout);
  };
}
