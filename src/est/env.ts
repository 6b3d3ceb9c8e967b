import type { IncomingMessage, ServerResponse } from "node:http";
import type { IssuedCertificate } from "../backend/backend.ts";
import type { LabelPolicy } from "../config/settings.ts";
import type { CertificateIdentity } from "../realm/certificate_identity.ts";
import type { ParsedCsr } from "../pki/csr.ts";
import type { Principal } from "../realm/realm.ts";
import type { EstServices } from "./services.ts";

/** Hono environment of every route: the node request/response pair and per-request values. */
export interface EstEnv {
  Bindings: { incoming?: IncomingMessage; outgoing?: ServerResponse };
  Variables: {
    requestId: string;
    /** The services this request runs on, fixed when it arrives (a reload does not change them mid-request). */
    services: EstServices;
    /** The label's policy, resolved once when the request is routed (none for unlabelled paths). */
    labelPolicy?: LabelPolicy;
    /** The EST operation, once routed ("cacerts", "simpleenroll", ...). */
    operation?: string;
    label?: string;
    principal?: Principal;
    /** The validated client certificate the principal was established from. */
    clientCertificate?: CertificateIdentity;
    /** The request's CSR, once read and verified. */
    csr?: ParsedCsr;
    /** The certificate this request obtained, once the backend issued it. */
    issued?: IssuedCertificate;
    /** The type of the key /serverkeygen generated for the client ("P-256", "RSA-2048", ...). */
    generatedKey?: string;
    /**
     * Sends the audit record of an issuance once its certificate is committed to the store, so that it is
     * written while the store syncs (set by the audit middleware).
     */
    auditCommitted?: (serialHex: string) => void;
    /** The method whose credentials were refused, when authentication failed. */
    authFailure?: "basic" | "cert";
  };
}
