import type { EnrollContext, IssuedCertificate } from "../../backend/backend.ts";
import type { LabelPolicy } from "../../config/settings.ts";
import type { ParsedCsr } from "../../pki/csr.ts";
import type { Authenticated } from "../authenticate.ts";
import type { EstServices } from "../services.ts";

/** The operations that end in a certificate for a CSR. */
export type EnrollmentOperation = "simpleenroll" | "simplereenroll" | "serverkeygen";

/** One authenticated, authorised request for a certificate, before issuance. */
export interface Enrollment {
  operation: EnrollmentOperation;
  csr: ParsedCsr;
  authenticated: Authenticated;
  labelPolicy?: LabelPolicy;
  ctx: EnrollContext;
  /** Told the serial once the certificate is committed to the store (its audit record then goes out). */
  committed?: (serialHex: string) => void;
}

/**
 * Runs an issuance within the requester's issuance quota (429 when it is used
 * up). `issue` gets the function to call once its certificate is recorded
 * where the quota counts (it then stops counting as a reservation).
 */
export type QuotaGuard = <T>(issue: (recorded: () => void) => Promise<T>) => Promise<T>;

/** Enrollment or renewal through the backend, for `csr` (the request's own unless another is given). */
export function issueFor(
  services: EstServices,
  enrollment: Enrollment,
  csr: ParsedCsr = enrollment.csr,
  recorded?: () => void,
): Promise<IssuedCertificate> {
  const committed = enrollment.committed;
  const ctx = recorded || committed
    ? {
      ...enrollment.ctx,
      recorded: (serialHex: string) => {
        recorded?.();
        committed?.(serialHex);
      },
    }
    : enrollment.ctx;
  if (enrollment.operation === "simplereenroll") {
    const renewed = enrollment.authenticated.certificate!.leaf;
    return services.backend.reenroll(csr, new Uint8Array(renewed.rawData), ctx);
  }
  return services.backend.enroll(csr, ctx);
}
