/**
 * What the EST routes run on: the seams and the route-level settings. One
 * snapshot serves a request from start to end; a reload makes a new one.
 *
 * @module
 */

import type { Authorizer } from "../authz/authorizer.ts";
import type { Backend } from "../backend/backend.ts";
import type { Base64Layout, LabelPolicy, Settings } from "../config/settings.ts";
import type { CsrAttrSpec } from "../config/schema.ts";
import type { KeyPolicy } from "../pki/csr.ts";
import type { Realm } from "../realm/realm.ts";
import type { AbuseLimits } from "../ops/limits/abuse_limits.ts";
import type { ClientChainValidator } from "../tls/client_chain.ts";
import type { DeferralSettings } from "./deferred_issuance.ts";
import type { ErrorStyle } from "./error_response.ts";

/** Everything the EST routes need: the seams and the settings that shape requests and responses. */
export interface EstServices {
  backend: Backend;
  realm?: Realm;
  authorizer?: Authorizer;
  clientCerts: ClientChainValidator;
  /** Rate limits, lockout and issuance quotas; undefined when [limits] is off. */
  limits?: AbuseLimits;
  settings: EstRouteSettings;
}

/** Route-level settings, derived from the server's settings. */
export interface EstRouteSettings {
  auth: Settings["auth"];
  errorStyle: ErrorStyle;
  layout: Base64Layout;
  maxBodyBytes: number;
  /** How long a client may take to send a request body. */
  bodyTimeoutMs: number;
  keyPolicy: KeyPolicy;
  /** The configured crypto provider's, for CSR signatures. */
  crypto: Crypto;
  /** Dogtag's enrollMatchTLSSubjSAN: check CSRs against the requester's identity. */
  enrollMatchIdentity: boolean;
  csrattrs?: CsrAttrSpec[];
  /** Where deferred requests are remembered and the Retry-After they are answered with. */
  deferral: DeferralSettings;
  labels: Record<string, LabelPolicy>;
  version: string;
}

/** Where routes get their services: a fixed set, or the current snapshot of a reloadable server. */
export type ServicesSource = EstServices | (() => EstServices);
