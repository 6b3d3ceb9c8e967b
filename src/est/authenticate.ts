import { getLogger } from "@logtape/logtape";
import type * as x509 from "../pki/x509.ts";
import type { Context } from "hono";
import type { AuthzData } from "../authz/authorizer.ts";
import type { LabelPolicy } from "../config/settings.ts";
import { parseBasicAuthorization } from "../realm/basic_credentials.ts";
import type { CertificateIdentity } from "../realm/certificate_identity.ts";
import type { Principal } from "../realm/realm.ts";
import { connectionInfo } from "../tls/connection.ts";
import type { EstEnv } from "./env.ts";
import { EstError, ForbiddenError, UnauthorizedError, UnavailableError } from "../errors.ts";
import type { EstServices } from "./services.ts";

const log = getLogger(["est", "auth"]);

/** Who is asking, and the validated certificate when that is how they proved it. */
export interface Authenticated {
  principal: Principal;
  certificate?: { identity: CertificateIdentity; leaf: x509.X509Certificate };
}

/** Methods a request may authenticate with, after the label's overrides. */
export interface AuthPolicy {
  methods: readonly ("basic" | "cert")[];
  /** Dogtag's behaviour: a presented certificate is the only credential looked at. */
  certExcludesBasic: boolean;
}

/** The auth policy of a path: the server's, with the label's overrides. */
export function authPolicyFor(services: EstServices, label: LabelPolicy | undefined): AuthPolicy {
  const auth = services.settings.auth;
  return {
    methods: label?.authMethods ?? auth.methods,
    certExcludesBasic: label?.certExcludesBasic ?? auth.certExcludesBasic,
  };
}

/**
 * Establishes who is asking: a valid client certificate (named by the realm,
 * or by its subject), else HTTP Basic against the realm. 401 with a Basic
 * challenge when neither succeeds.
 */
export async function authenticate(
  c: Context<EstEnv>,
  services: EstServices,
  policy: AuthPolicy,
): Promise<Authenticated> {
  const realmName = services.settings.auth.realmName;
  const { peerChain } = connectionInfo(c);
  if (peerChain.length > 0 && policy.methods.includes("cert")) {
    services.limits?.checkLockout(undefined, connectionInfo(c).remoteAddr);
    const verdict = await services.clientCerts.validate(peerChain, "authentication");
    if (verdict.ok) {
      const principal = await certificatePrincipal(services, verdict.identity);
      if (principal) return remember(c, services, { principal, certificate: verdict });
      log.info("certificate {subject} is not known to the realm", { subject: verdict.identity.subjectDn });
    } else {
      log.info("client certificate refused: {reason}", {
        reason: verdict.reason,
        requestId: c.get("requestId"),
      });
    }
    if (policy.certExcludesBasic) {
      throw refused(c, "cert", "Client certificate not accepted", realmName, services);
    }
  }
  if (!policy.methods.includes("basic")) {
    throw new UnauthorizedError("Client certificate required", realmName);
  }
  const credentials = parseBasicAuthorization(c.req.header("authorization"));
  if (credentials === null || services.realm === undefined) {
    throw new UnauthorizedError("Authentication required", realmName);
  }
  const { limits } = services;
  const address = connectionInfo(c).remoteAddr;
  limits?.checkLockout(credentials.username, address);
  const principal = await realmCall(() =>
    services.realm!.authenticate(credentials.username, credentials.password)
  );
  if (principal === null) {
    limits?.authFailed(credentials.username, address);
    throw refused(c, "basic", "Invalid credentials", realmName);
  }
  limits?.authSucceeded(credentials.username);
  return remember(c, services, { principal });
}

/**
 * simplereenroll: the certificate being renewed is the TLS client
 * certificate, which must be valid and issued by this server's CA.
 */
export async function authenticateRenewal(
  c: Context<EstEnv>,
  services: EstServices,
): Promise<Required<Authenticated>> {
  const { peerChain } = connectionInfo(c);
  if (peerChain.length === 0) throw new ForbiddenError("Unable to locate certificate to be renewed.");
  const address = connectionInfo(c).remoteAddr;
  services.limits?.checkLockout(undefined, address);
  const verdict = await services.clientCerts.validate(peerChain, "renewal");
  if (!verdict.ok) {
    c.set("authFailure", "cert");
    services.limits?.authFailed(undefined, address);
    throw new ForbiddenError(`Client certificate rejected: ${verdict.reason}`);
  }
  const principal = await certificatePrincipal(services, verdict.identity);
  if (principal === null) {
    throw refused(c, "cert", "Client certificate not accepted", services.settings.auth.realmName, services);
  }
  remember(c, services, { principal, certificate: verdict });
  return { principal, certificate: verdict };
}

/** The realm's user for a certificate when the realm can look certificates up; else one named by the subject. */
async function certificatePrincipal(
  services: EstServices,
  identity: CertificateIdentity,
): Promise<Principal | null> {
  const realm = services.realm;
  if (realm?.authenticateCertificate) return await realmCall(() => realm.authenticateCertificate!(identity));
  return {
    name: identity.subjectDn,
    fullName: identity.commonName,
    roles: [...services.settings.auth.certificateRoles].sort(),
    method: "certificate",
  };
}

async function realmCall(call: () => Promise<Principal | null>): Promise<Principal | null> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof EstError) throw err;
    log.error("realm failed: {error}", { error: err });
    throw new UnavailableError("Authentication service unavailable", 30);
  }
}

/** A 401 for credentials that were presented and refused (counted as an authentication failure). */
function refused(
  c: Context<EstEnv>,
  method: "basic" | "cert",
  message: string,
  realmName: string,
  services?: EstServices,
): UnauthorizedError {
  c.set("authFailure", method);
  if (method === "cert") services?.limits?.authFailed(undefined, connectionInfo(c).remoteAddr);
  return new UnauthorizedError(message, realmName);
}

/** Keeps the principal on the context, once its request rate allows (429 otherwise). */
function remember(c: Context<EstEnv>, services: EstServices, authenticated: Authenticated): Authenticated {
  services.limits?.checkPrincipal(authenticated.principal.name);
  c.set("principal", authenticated.principal);
  if (authenticated.certificate) c.set("clientCertificate", authenticated.certificate.identity);
  return authenticated;
}

/**
 * Dogtag's `authzData` for an authenticated request; the client's chain is
 * passed on (to the authoriser and the CA) only when a validated certificate
 * is how the client authenticated.
 */
export function authzDataOf(c: Context<EstEnv>, authenticated: Authenticated, label?: string): AuthzData {
  const connection = connectionInfo(c);
  return {
    principal: authenticated.principal,
    remoteAddr: connection.remoteAddr,
    label,
    clientCertChain: authenticated.certificate ? connection.peerChain : undefined,
  };
}
