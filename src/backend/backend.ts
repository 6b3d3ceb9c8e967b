import type * as x509 from "../pki/x509.ts";
import type { ParsedCsr } from "../pki/csr.ts";
import type { CheckResult, Principal } from "../realm/realm.ts";

/** The per-label issuance settings a backend applies (absent fields use its defaults). */
export interface IssuanceSettings {
  /** Local CA: days the certificate is valid. */
  validityDays?: number;
  /** Local CA: the extended key usages to certify. */
  extendedKeyUsage?: string[];
  /** Upstream CA: the profile that issues (Dogtag's profile ID). */
  caProfile?: string;
}

/** Everything a backend may need to know about who asks and how. */
export interface EnrollContext {
  label?: string;
  principal: Principal;
  requestId: string;
  remoteAddr: string;
  /** DER of the TLS client certificate chain, leaf first, when one was presented. */
  clientCertChain?: Uint8Array<ArrayBuffer>[];
  issuance: IssuanceSettings;
  /**
   * Told the certificate's serial once it is committed to the store issuance quotas count from (visible to
   * readers, before it is synced).
   */
  recorded?: (serialHex: string) => void;
}

/** Who sends a full CMC request and how (as for enrollment, without an issuance profile). */
export type FullCmcContext = Omit<EnrollContext, "issuance">;

/** The CA's answer to a full CMC request: its CMC status and the DER response to hand back. */
export interface FullCmcResult {
  /** CMCStatus (RFC 5272 §6.1.4): 0 success, 2 failed, 3 pending, ... */
  cmcStatus: number;
  der: Uint8Array<ArrayBuffer>;
}

/** A certificate the backend issued: its DER and the serial it was recorded under. */
export interface IssuedCertificate {
  der: Uint8Array<ArrayBuffer>;
  serialHex: string;
}

/**
 * The CA took the request but has not decided on it (it waits for an agent):
 * the caller asks again later with `caRequestId` (Backend.pollPending).
 */
export class IssuancePendingError extends Error {
  constructor(readonly caRequestId: string) {
    super(`the CA holds request ${caRequestId} for approval`);
    this.name = "IssuancePendingError";
  }
}

/** Where certificates come from: the CA behind this EST server. */
export interface Backend {
  /** The CA chain clients should trust for `label`, issuing CA first; DER each. */
  caCerts(label: string | undefined): Promise<Uint8Array<ArrayBuffer>[]>;
  enroll(csr: ParsedCsr, ctx: EnrollContext): Promise<IssuedCertificate>;
  /** Re-issue for the holder of `current` (DER). */
  reenroll(csr: ParsedCsr, current: Uint8Array<ArrayBuffer>, ctx: EnrollContext): Promise<IssuedCertificate>;
  /** True when this backend's CA revoked `certificate`; backends that cannot tell leave it out. */
  isRevoked?(certificate: x509.X509Certificate): Promise<boolean>;
  health(): Promise<CheckResult>;
  close(): Promise<void>;
  /**
   * Whether the backend serves `label` itself although `[labels.*]` does not
   * declare it (Dogtag lightweight-CA AuthorityIDs). Absent: declared labels only.
   */
  acceptsUndeclaredLabel?(label: string): boolean;
  /**
   * The certificate of a request the CA left pending (see IssuancePendingError):
   * throws IssuancePendingError while it still is, ForbiddenError when the CA
   * rejected it. Absent when the backend never defers.
   */
  pollPending?(caRequestId: string, ctx: EnrollContext): Promise<IssuedCertificate>;
  /** Full CMC (RFC 7030 §4.3): forwards the DER request; absent when the backend offers none (501). */
  fullCmc?(request: Uint8Array<ArrayBuffer>, ctx: FullCmcContext): Promise<FullCmcResult>;
}
