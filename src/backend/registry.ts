import type { BackendConfig } from "../config/components.ts";
import type { DogtagFiles } from "../config/settings.ts";
import type { Backend } from "./backend.ts";
import type { CaCallObserver } from "./dogtag_ra/ca_client.ts";
import { LocalCaBackend } from "./local_ca/local_ca_backend.ts";
import { openIssuanceStore } from "./local_ca/open_issuance_store.ts";
import type { StoreOptions } from "./local_ca/open_issuance_store.ts";
import type { LocalCaConfig } from "../config/components.ts";
import { ConfigError } from "../config/errors.ts";
import { caIdentityOf, ForeignCaError } from "./local_ca/ca_identity.ts";
import type { IssuanceStore } from "./local_ca/issuance_store.ts";

/** Hooks a backend reports through (metrics). */
export interface BackendHooks {
  /** Latency and outcome of each call to an upstream CA. */
  observeCaCall?: CaCallObserver;
}

/** Builds the backend a configuration names; the local CA keeps its records in `store` (default SQLite). */
export async function createBackend(
  config: BackendConfig,
  stateDir: string,
  hooks: BackendHooks = {},
  dogtagFiles?: DogtagFiles,
  crypto: Crypto = globalThis.crypto,
  store?: StoreOptions,
): Promise<Backend> {
  switch (config.kind) {
    case "local-ca": {
      const issuance = store === undefined ? undefined : await openIssuanceStore(store, stateDir, true);
      return await openLocalCa(config, stateDir, crypto, issuance);
    }
    case "dogtag-ra": {
      // Loaded only when configured: the Dogtag client brings PKCS#12 and CMS code the local CA does without.
      const { DogtagRaBackend } = await import("./dogtag_ra/dogtag_ra_backend.ts");
      return DogtagRaBackend.open(config, { observe: hooks.observeCaCall, files: dogtagFiles });
    }
  }
}

/**
 * The local CA on `issuance` (default SQLite). A shared store that holds
 * another CA's certificates is a configuration error: nothing is served.
 */
async function openLocalCa(
  config: LocalCaConfig,
  stateDir: string,
  crypto: Crypto,
  issuance: IssuanceStore | undefined,
): Promise<LocalCaBackend> {
  let backend: LocalCaBackend | undefined;
  try {
    backend = await LocalCaBackend.open(config, stateDir, undefined, crypto, issuance);
    await backend.store.claimCa?.(await caIdentityOf(backend.ca.cert));
    return backend;
  } catch (err) {
    await (backend ?? issuance)?.close();
    if (err instanceof ForeignCaError) {
      throw new ConfigError([{ file: "server.toml", key: "store.url", message: err.message }]);
    }
    throw err;
  }
}
