import type { CheckResult, Principal } from "../realm/realm.ts";

/** The EST operations an authoriser is asked about. */
export type AuthzOperation = "simpleenroll" | "simplereenroll" | "fullcmc";

/** Dogtag's `authzData`: who asks, from where, through which label. */
export interface AuthzData {
  principal: Principal;
  remoteAddr: string;
  label?: string;
  /** DER of the TLS client certificate chain, leaf first, when one was presented. */
  clientCertChain?: Uint8Array<ArrayBuffer>[];
}

/** One question to the authoriser. */
export interface AuthzRequest {
  operation: AuthzOperation;
  authzData: AuthzData;
  /** DER of the CSR (simpleenroll, simplereenroll). */
  csr?: Uint8Array<ArrayBuffer>;
  /** DER of the certificate being renewed (simplereenroll). */
  toBeRenewed?: Uint8Array<ArrayBuffer>;
  /** The raw full CMC request (fullcmc). */
  cmcRequest?: Uint8Array<ArrayBuffer>;
  requestId: string;
}

/** The authoriser's answer: allowed (with its output), or denied with a message for the client. */
export type AuthzDecision =
  | { allowed: true; result: string }
  | { allowed: false; message: string };

/** Decides whether an authenticated principal may perform an operation. */
export interface Authorizer {
  authorize(request: AuthzRequest): Promise<AuthzDecision>;
  health(): Promise<CheckResult>;
  close(): Promise<void>;
}
