import type * as x509 from "@peculiar/x509";
import type { ParsedCsr } from "../est/csr.ts";
import type { CheckResult, Principal } from "../realm/realm.ts";

/** The per-label issuance settings a backend applies (absent fields use its defaults). */
export interface IssuanceProfile {
  validityDays?: number;
  extendedKeyUsage?: string[];
}

/** Everything a backend may need to know about who asks and how. */
export interface EnrollContext {
  label?: string;
  principal: Principal;
  requestId: string;
  remoteAddr: string;
  /** DER of the TLS client certificate chain, leaf first, when one was presented. */
  clientCertChain?: Uint8Array<ArrayBuffer>[];
  profile: IssuanceProfile;
}

/** A certificate the backend issued: its DER and the serial it was recorded under. */
export interface IssuedCertificate {
  der: Uint8Array<ArrayBuffer>;
  serialHex: string;
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
}
