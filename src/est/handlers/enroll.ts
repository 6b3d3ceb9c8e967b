/**
 * POST /simpleenroll, /simplereenroll and /serverkeygen: one pipeline
 * (authenticate, read the CSR, hold it against the label's advertised CSR
 * attributes when enforced, apply policy, issue now or defer, answer) that
 * differs only in who may ask, which policy applies, which backend call
 * issues and what the answer carries.
 *
 * @module
 */

import type { Context } from "hono";
import {
  authorizeEnrollment,
  authorizeRenewal,
  type EnrollmentQuestion,
} from "../../authz/enrollment_policy.ts";
import type { CsrAttrSpec } from "../../config/schema.ts";
import type { LabelPolicy } from "../../config/settings.ts";
import { BadRequestError } from "../../errors.ts";
import type { ParsedCsr } from "../../pki/csr.ts";
import { missingCsrAttributes } from "../../pki/csr_requirements.ts";
import {
  authenticate,
  type Authenticated,
  authenticateRenewal,
  authPolicyFor,
  authzDataOf,
} from "../authenticate.ts";
import { issueOrDefer } from "../deferred_issuance.ts";
import type { EstEnv } from "../env.ts";
import { identityNamePolicy, issuanceSettingsOf, responseLayout } from "../labels.ts";
import { issuedCertificateResponse } from "../responses.ts";
import type { EstServices } from "../services.ts";
import {
  type Enrollment,
  type EnrollmentOperation,
  issueFor,
  type QuotaGuard,
} from "./enrollment_issuance.ts";
import { readCsr } from "./read_csr.ts";
import { serverKeyGeneration } from "./serverkeygen.ts";
import { withinQuota } from "./within_quota.ts";

/** What makes an enrollment a first enrollment or a renewal. */
interface EnrollmentKind {
  authenticate(c: Context<EstEnv>, services: EstServices): Promise<Authenticated>;
  authorize(
    services: EstServices,
    question: EnrollmentQuestion,
    label: LabelPolicy | undefined,
  ): Promise<void>;
}

/** The names a principal may request are the label's (else the server's) allowed subject names. */
const FIRST_ENROLLMENT: EnrollmentKind = {
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
};

const KINDS: Record<EnrollmentOperation, EnrollmentKind> = {
  simpleenroll: FIRST_ENROLLMENT,
  /** The TLS client certificate is the one renewed; the CSR must repeat its subject and SAN exactly. */
  simplereenroll: {
    authenticate: authenticateRenewal,
    authorize: (services, question) =>
      authorizeRenewal({ ...question, tlsCertificate: question.tlsCertificate! }, services.authorizer),
  },
  /** As simpleenroll: the server makes the key, the rest is a first enrollment. */
  serverkeygen: FIRST_ENROLLMENT,
};

/** The handler of one enrollment operation. */
export function enrollHandler(operation: EnrollmentOperation) {
  const kind = KINDS[operation];
  return async (c: Context<EstEnv>): Promise<Response> => {
    const services = c.get("services");
    const labelPolicy = c.get("labelPolicy");
    const authenticated = await kind.authenticate(c, services);
    const csr = await readCsr(c, services.settings);
    enforceCsrAttributes(csr, labelPolicy, services.settings.csrattrs, operation);
    const label = c.get("label");
    const authzData = authzDataOf(c, authenticated, label);
    const requestId = c.get("requestId");
    await kind.authorize(
      services,
      { csr, authzData, requestId, tlsCertificate: authenticated.certificate?.leaf },
      labelPolicy,
    );
    const enrollment: Enrollment = {
      operation,
      csr,
      authenticated,
      labelPolicy,
      ctx: { ...authzData, requestId, issuance: issuanceSettingsOf(labelPolicy) },
      // The record of a generated key's issuance names the key, known only once it is answered.
      committed: operation === "serverkeygen" ? undefined : c.get("auditCommitted"),
    };
    // The issuance quota covers every way a certificate leaves: now, after approval, from the CA later.
    const quota: QuotaGuard = (issue) =>
      withinQuota(services, authenticated.principal.name, label, labelPolicy, issue);
    if (operation === "serverkeygen") return await serverKeyGeneration(c, services, enrollment, quota);
    const issued = await quota((recorded) =>
      issueOrDefer(
        { csr, operation, ctx: enrollment.ctx, manual: labelPolicy?.approval === "manual" },
        { issue: () => issueFor(services, enrollment, csr, recorded), fromCa: (certificate) => certificate },
        services.settings.deferral,
        services.backend,
      )
    );
    c.set("issued", issued);
    return issuedCertificateResponse(
      issued.der,
      responseLayout(c.get("labelPolicy"), services.settings.layout),
    );
  };
}

/** 400 naming what the CSR lacks of the advertised CSR attributes, when the label enforces them. */
function enforceCsrAttributes(
  csr: ParsedCsr,
  labelPolicy: LabelPolicy | undefined,
  serverSpecs: readonly CsrAttrSpec[] | undefined,
  operation: EnrollmentOperation,
): void {
  const specs = labelPolicy?.csrattrs ?? serverSpecs;
  if (labelPolicy?.enforceCsrattrs !== true || specs === undefined) return;
  const missing = missingCsrAttributes(csr, specs, { ignoreKey: operation === "serverkeygen" });
  if (missing.length > 0) {
    throw new BadRequestError(`The CSR lacks what /csrattrs asks for: ${missing.join("; ")}`);
  }
}
