import type { BackendConfig } from "../config/components.ts";
import type { Backend } from "./backend.ts";
import { LocalCaBackend } from "./local_ca/local_ca_backend.ts";

/** Builds the backend a configuration names. */
export function createBackend(config: BackendConfig, stateDir: string): Promise<Backend> {
  switch (config.kind) {
    case "local-ca":
      return LocalCaBackend.open(config, stateDir);
  }
}
