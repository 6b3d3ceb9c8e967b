import type { ParsedCsr } from "../est/csr.ts";
import { ForbiddenError } from "../est/errors.ts";
import type { Authorizer, AuthzData } from "./authorizer.ts";
import { checkCsrMatchesUser } from "./identity_rules.ts";

/** One enrollment to decide on. */
export interface EnrollmentQuestion {
  csr: ParsedCsr;
  authzData: AuthzData;
  requestId: string;
}

/**
 * simpleenroll policy, in Dogtag's order: the identity rule (when enabled),
 * then the external authoriser. Throws 403 with the reason on refusal.
 */
export async function authorizeEnrollment(
  question: EnrollmentQuestion,
  enrollMatchIdentity: boolean,
  authorizer: Authorizer | undefined,
): Promise<void> {
  const { csr, authzData } = question;
  if (enrollMatchIdentity && authzData.principal.method === "password") {
    checkCsrMatchesUser(csr, authzData.principal);
  }
  if (authorizer === undefined) return;
  const decision = await authorizer.authorize({
    operation: "simpleenroll",
    authzData,
    csr: csr.der,
    requestId: question.requestId,
  });
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
