/**
 * POST /simpleenroll and /simplereenroll: one pipeline (authenticate, read
 * the CSR, apply policy, issue, answer with a certs-only PKCS#7) that differs
 * only in who may ask, which policy applies and which backend call issues.
 *
 * @module
 */

import type * as x509 from "@peculiar/x509";
import type { Context } from "hono";
import { authorizeEnrollment, authorizeRenewal } from "../../authz/enrollment_policy.ts";
import type { EnrollContext, IssuedCertificate } from "../../backend/backend.ts";
import type { ParsedCsr } from "../../pki/csr.ts";
import {
  authenticate,
  type Authenticated,
  authenticateRenewal,
  authPolicyFor,
  authzDataOf,
} from "../authenticate.ts";
import type { EstEnv } from "../env.ts";
import { identityNamePolicy, issuanceSettingsOf, responseLayout } from "../labels.ts";
import type { LabelPolicy } from "../../config/settings.ts";
import { issuedCertificateResponse } from "../responses.ts";
import type { EstServices } from "../services.ts";
import type { EnrollmentQuestion } from "../../authz/enrollment_policy.ts";
import { readCsr } from "./read_csr.ts";
import { withinQuota } from "./within_quota.ts";

/** What makes an enrollment a first enrollment or a renewal. */
interface EnrollmentKind {
  authenticate(c: Context<EstEnv>, services: EstServices): Promise<Authenticated>;
  authorize(
    services: EstServices,
    question: EnrollmentQuestion,
    label: LabelPolicy | undefined,
  ): Promise<void>;
  issue(
    services: EstServices,
    csr: ParsedCsr,
    ctx: EnrollContext,
    renewed?: x509.X509Certificate,
  ): Promise<IssuedCertificate>;
}

const KINDS: Record<"simpleenroll" | "simplereenroll", EnrollmentKind> = {
  simpleenroll: {
    authenticate: (c, services) => authenticate(c, services, authPolicyFor(services, c.get("labelPolicy"))),
    authorize: (services, question, label) =>
      authorizeEnrollment(
        question,
        {
          enabled: services.settings.enrollMatchIdentity,
          names: identityNamePolicy(services.settings.auth, label),
        },
        services.authorizer,
      ),
    issue: (services, csr, ctx) => services.backend.enroll(csr, ctx),
  },
  /** The TLS client certificate is the one renewed; the CSR must repeat its subject and SAN exactly. */
  simplereenroll: {
    authenticate: authenticateRenewal,
    authorize: (services, question) =>
      authorizeRenewal({ ...question, tlsCertificate: question.tlsCertificate! }, services.authorizer),
    issue: (services, csr, ctx, renewed) =>
      services.backend.reenroll(csr, new Uint8Array(renewed!.rawData), ctx),
  },
};

/** The handler of one enrollment operation. */
export function enrollHandler(operation: keyof typeof KINDS) {
  const kind = KINDS[operation];
  return async (c: Context<EstEnv>): Promise<Response> => {
    const services = c.get("services");
    const { principal, certificate } = await kind.authenticate(c, services);
    const csr = await readCsr(c, services.settings);
    const label = c.get("label");
    const authzData = authzDataOf(c, { principal, certificate }, label);
    const requestId = c.get("requestId");
    const labelPolicy = c.get("labelPolicy");
    await kind.authorize(
      services,
      { csr, authzData, requestId, tlsCertificate: certificate?.leaf },
      labelPolicy,
    );
    const issued = await withinQuota(
      services,
      principal.name,
      label,
      labelPolicy,
      () =>
        kind.issue(services, csr, {
          ...authzData,
          requestId,
          issuance: issuanceSettingsOf(labelPolicy),
        }, certificate?.leaf),
    );
    c.set("issued", issued);
    return issuedCertificateResponse(
      issued.der,
      responseLayout(c.get("labelPolicy"), services.settings.layout),
    );
  };
}
