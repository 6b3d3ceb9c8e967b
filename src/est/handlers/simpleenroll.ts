import type { Context } from "hono";
import { authorizeEnrollment } from "../../authz/enrollment_policy.ts";
import { connectionInfo, verifiedPeerChain } from "../../tls/connection.ts";
import { authenticate } from "../authenticate.ts";
import { decodeRequestBody } from "../body_codec.ts";
import { parseCsr } from "../csr.ts";
import type { EstEnv } from "../env.ts";
import { resolveLabel } from "../labels.ts";
import { MEDIA, requireMediaType } from "../media_types.ts";
import { encodeCertsOnly } from "../pkcs7.ts";
import { readLimitedBody } from "../request_body.ts";
import { base64Response } from "../responses.ts";
import type { EstServices } from "../services.ts";

const CSR_PEM_LABELS = ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"];

/** POST /simpleenroll: authenticate, read the CSR, apply policy, issue, answer with a certs-only PKCS#7. */
export function simpleEnrollHandler(services: EstServices) {
  const { settings } = services;
  return async (c: Context<EstEnv>): Promise<Response> => {
    const label = c.req.param("label");
    const labelSettings = resolveLabel(label, settings.labels, services.backend);
    const principal = await authenticate(c, services);
    requireMediaType(c.req.header("content-type"), MEDIA.pkcs10);
    const body = await readLimitedBody(c.req.raw, settings.maxBodyBytes);
    const csr = await parseCsr(decodeRequestBody(body, CSR_PEM_LABELS), settings.keyPolicy);
    const connection = connectionInfo(c);
    const authzData = {
      principal,
      remoteAddr: connection.remoteAddr,
      label,
      clientCertChain: verifiedPeerChain(connection),
    };
    const requestId = c.get("requestId");
    await authorizeEnrollment(
      { csr, authzData, requestId },
      settings.enrollMatchIdentity,
      services.authorizer,
    );
    const issued = await services.backend.enroll(csr, {
      ...authzData,
      requestId,
      profile: {
        validityDays: labelSettings?.validity_days,
        extendedKeyUsage: labelSettings?.extended_key_usage,
      },
    });
    return base64Response(encodeCertsOnly([issued.der]), MEDIA.certsOnly, settings.layout);
  };
}
