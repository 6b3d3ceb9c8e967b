/**
 * The seams a reload replaces (realm, authoriser) and the route services
 * built from settings: a pure function of the settings and the long-lived
 * parts, so a reload builds a whole new snapshot instead of editing one.
 *
 * @module
 */

import type { Authorizer } from "../authz/authorizer.ts";
import { createAuthorizer } from "../authz/registry.ts";
import type { Backend } from "../backend/backend.ts";
import type { PendingStore } from "../backend/pending_store.ts";
import type { Settings } from "../config/settings.ts";
import type { EstServices } from "../est/services.ts";
import type { Realm } from "../realm/realm.ts";
import type { AbuseLimits } from "../ops/limits/abuse_limits.ts";
import { createRealm } from "../realm/registry.ts";
import type { ClientChainValidator } from "../tls/client_chain.ts";
import { VERSION } from "../version.ts";

/** The seams built anew on each reload. */
export interface ReloadableSeams {
  realm?: Realm;
  authorizer?: Authorizer;
}

/**
 * Builds the realm and authoriser `settings` name; throws (leaving nothing
 * half-built) when one cannot be. `authorizerSlots`: the process's authoriser
 * slots, which every listener thread and every reload shares.
 */
export function buildReloadableSeams(
  settings: Settings,
  authorizerSlots?: SharedArrayBuffer,
): ReloadableSeams {
  const realm = settings.realm && createRealm(settings.realm);
  return { realm, authorizer: createAuthorizer(settings.authorizer, authorizerSlots) };
}

/** The snapshot the routes run on. */
export function routeServices(
  settings: Settings,
  backend: Backend,
  seams: ReloadableSeams,
  clientCerts: ClientChainValidator,
  crypto: Crypto,
  limits?: AbuseLimits,
  pendingStore?: PendingStore,
): EstServices {
  return {
    backend,
    realm: seams.realm,
    authorizer: seams.authorizer,
    clientCerts,
    limits,
    settings: {
      auth: settings.auth,
      errorStyle: settings.est.errorStyle,
      layout: settings.est.layout,
      maxBodyBytes: settings.server.maxBodyBytes,
      bodyTimeoutMs: settings.server.requestTimeoutSeconds * 1000,
      // With an upstream CA its profile decides key sizes; 2048 is Dogtag's own floor.
      crypto,
      keyPolicy: settings.backend.kind === "local-ca"
        ? { minRsaBits: settings.backend.minRsaBits, minRsaExponent: settings.backend.minRsaExponent }
        : { minRsaBits: 2048 },
      enrollMatchIdentity: settings.enrollMatchIdentity,
      csrattrs: settings.est.csrattrs,
      deferral: { store: pendingStore, retryAfterSeconds: settings.est.retryAfterSeconds },
      labels: settings.labels,
      version: VERSION,
    },
  };
}
