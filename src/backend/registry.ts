import type { BackendConfig } from "../config/components.ts";
import type { Backend } from "./backend.ts";
import type { CaCallObserver } from "./dogtag_ra/ca_client.ts";
import { DogtagRaBackend } from "./dogtag_ra/dogtag_ra_backend.ts";
import { LocalCaBackend } from "./local_ca/local_ca_backend.ts";

/** Hooks a backend reports through (metrics). */
export interface BackendHooks {
  /** Latency and outcome of each call to an upstream CA. */
  observeCaCall?: CaCallObserver;
}

/** Builds the backend a configuration names. */
export function createBackend(
  config: BackendConfig,
  stateDir: string,
  hooks: BackendHooks = {},
): Promise<Backend> {
  switch (config.kind) {
    case "local-ca":
      return LocalCaBackend.open(config, stateDir);
    case "dogtag-ra":
      return DogtagRaBackend.open(config, { observe: hooks.observeCaCall });
  }
}
