import type { CertificateIdentity } from "./certificate_identity.ts";

/** Who made a request, as a realm established it. */
export interface Principal {
  /** The user ID (Dogtag's `getName()`). */
  name: string;
  /** The user's full name, when the realm knows one (Dogtag's PKIPrincipal full name). */
  fullName?: string;
  roles: string[];
  /** How the principal proved itself. */
  method: "password" | "certificate";
}

/** The outcome of a readiness probe of one dependency. */
export interface CheckResult {
  ok: boolean;
  detail?: string;
}

/** A source of identities: checks passwords and, when it can, looks certificates up. */
export interface Realm {
  /** The principal for these credentials, or null when they are wrong; throws when the realm is down. */
  authenticate(username: string, password: string): Promise<Principal | null>;
  /**
   * The user holding this (already validated) certificate, found by Dogtag's
   * certID, or null when none does. Realms without certificates leave it out,
   * and certificate holders are then named by their subject.
   */
  authenticateCertificate?(certificate: CertificateIdentity): Promise<Principal | null>;
  health(): Promise<CheckResult>;
  close(): Promise<void>;
}
