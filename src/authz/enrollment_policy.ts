import type * as x509 from "../pki/x509.ts";
import type { ParsedCsr } from "../pki/csr.ts";
import { ForbiddenError } from "../errors.ts";
import type { Authorizer, AuthzData, AuthzRequest } from "./authorizer.ts";
import {
  checkCsrMatchesTlsCertificate,
  checkCsrMatchesUser,
  checkCsrRenewsCertificate,
  type IdentityNamePolicy,
} from "./identity_rules.ts";

/** One enrollment to decide on. */
export interface EnrollmentQuestion {
  csr: ParsedCsr;
  authzData: AuthzData;
  requestId: string;
  /** The client certificate the principal authenticated with, if any. */
  tlsCertificate?: x509.X509Certificate;
}

/** Whether the identity rules apply (Dogtag's enrollMatchTLSSubjSAN), and the names realm users may request. */
export interface IdentityRules {
  enabled: boolean;
  names: IdentityNamePolicy;
}

/**
 * simpleenroll policy, in Dogtag's order: the identity rule (when enabled;
 * against the TLS certificate for certificate holders, the realm user
 * otherwise), then the external authoriser. Throws 403 with the reason.
 */
export async function authorizeEnrollment(
  question: EnrollmentQuestion,
  identity: IdentityRules,
  authorizer: Authorizer | undefined,
): Promise<void> {
  const { csr, authzData, tlsCertificate } = question;
  if (identity.enabled) {
    if (authzData.principal.method === "certificate" && tlsCertificate) {
      checkCsrMatchesTlsCertificate(csr, tlsCertificate);
    } else if (authzData.principal.method === "password") {
      checkCsrMatchesUser(csr, authzData.principal, identity.names);
    }
  }
  await ask(authorizer, {
    operation: "simpleenroll",
    authzData,
    csr: csr.der,
    requestId: question.requestId,
  });
}

/**
 * simplereenroll policy: the strict match of the CSR against the certificate
 * being renewed (always), then the external authoriser with `toBeRenewed`.
 */
export async function authorizeRenewal(
  question: EnrollmentQuestion & { tlsCertificate: x509.X509Certificate },
  authorizer: Authorizer | undefined,
): Promise<void> {
  const { csr, authzData, tlsCertificate } = question;
  checkCsrRenewsCertificate(csr, tlsCertificate);
  await ask(authorizer, {
    operation: "simplereenroll",
    authzData,
    csr: csr.der,
    toBeRenewed: new Uint8Array(tlsCertificate.rawData),
    requestId: question.requestId,
  });
}

async function ask(authorizer: Authorizer | undefined, request: AuthzRequest): Promise<void> {
  if (authorizer === undefined) return;
  const decision = await authorizer.authorize(request);
  if (!decision.allowed) throw new ForbiddenError(decision.message);
}

/** One full CMC request to decide on. */
export interface FullCmcQuestion {
  /** The request as forwarded to the CA (DER). */
  cmcRequest: Uint8Array<ArrayBuffer>;
  authzData: AuthzData;
  requestId: string;
}

/**
 * fullcmc policy, as Dogtag's: the external authoriser only (the CA checks
 * the names inside the CMC request). Throws 403 with the reason on refusal.
 */
export async function authorizeFullCmc(
  question: FullCmcQuestion,
  authorizer: Authorizer | undefined,
): Promise<void> {
  if (authorizer === undefined) return;
  const decision = await authorizer.authorize({ operation: "fullcmc", ...question });
  if (!decision.allowed) throw new ForbiddenError(decision.message);
}
