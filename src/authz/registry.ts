import type { AuthorizerConfig } from "../config/components.ts";
import type { Authorizer } from "./authorizer.ts";
import { ExternalProcessAuthorizer } from "./external_process.ts";

/**
 * Builds the external authoriser a configuration names; undefined when there
 * is none. `slotMemory` holds its process limits across threads and reloads.
 */
export function createAuthorizer(
  config: AuthorizerConfig,
  slotMemory?: SharedArrayBuffer,
): Authorizer | undefined {
  switch (config.kind) {
    case "external-process":
      return new ExternalProcessAuthorizer(config, slotMemory);
    case "none":
      return undefined;
  }
}
