import type { BackendConfig } from "../config/components.ts";
import type { DogtagFiles } from "../config/settings.ts";
import type { Backend } from "./backend.ts";
import type { CaCallObserver } from "./dogtag_ra/ca_client.ts";
import { LocalCaBackend } from "./local_ca/local_ca_backend.ts";

/** Hooks a backend reports through (metrics). */
export interface BackendHooks {
  /** Latency and outcome of each call to an upstream CA. */
  observeCaCall?: CaCallObserver;
}

/** Builds the backend a configuration names. */
export async function createBackend(
  config: BackendConfig,
  stateDir: string,
  hooks: BackendHooks = {},
  dogtagFiles?: DogtagFiles,
  crypto: Crypto = globalThis.crypto,
): Promise<Backend> {
  switch (config.kind) {
    case "local-ca":
      return LocalCaBackend.open(config, stateDir, undefined, crypto);
    case "dogtag-ra": {
      // Loaded only when configured: the Dogtag client brings PKCS#12 and CMS code the local CA does without.
      const { DogtagRaBackend } = await import("./dogtag_ra/dogtag_ra_backend.ts");
      return DogtagRaBackend.open(config, { observe: hooks.observeCaCall, files: dogtagFiles });
    }
  }
}
