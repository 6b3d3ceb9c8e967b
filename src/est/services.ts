import type { Authorizer } from "../authz/authorizer.ts";
import type { Backend } from "../backend/backend.ts";
import type { AuthSettings, CsrAttrSpec, LabelSettings } from "../config/schema.ts";
import type { Realm } from "../realm/realm.ts";
import type { ClientChainValidator } from "../tls/client_chain.ts";
import type { Base64Layout } from "./body_codec.ts";
import type { KeyPolicy } from "../pki/csr.ts";
import type { ErrorStyle } from "./error_response.ts";

/** Everything the EST routes need: the seams and the settings that shape requests and responses. */
export interface EstServices {
  backend: Backend;
  realm?: Realm;
  authorizer?: Authorizer;
  clientCerts: ClientChainValidator;
  settings: EstRouteSettings;
}

/** Route-level settings, derived from configuration. */
export interface EstRouteSettings {
  auth: AuthSettings;
  errorStyle: ErrorStyle;
  layout: Base64Layout;
  maxBodyBytes: number;
  /** How long a client may take to send a request body. */
  bodyTimeoutMs: number;
  keyPolicy: KeyPolicy;
  /** Dogtag's enrollMatchTLSSubjSAN: check CSRs against the requester's identity. */
  enrollMatchIdentity: boolean;
  csrattrs?: CsrAttrSpec[];
  labels: Record<string, LabelSettings>;
  version: string;
}
