import type { AuthorizerConfig } from "../config/components.ts";
import type { Authorizer } from "./authorizer.ts";
import { ExternalProcessAuthorizer } from "./external_process.ts";

/** Builds the external authoriser a configuration names; undefined when there is none. */
export function createAuthorizer(config: AuthorizerConfig): Authorizer | undefined {
  switch (config.kind) {
    case "external-process":
      return new ExternalProcessAuthorizer(config);
    case "none":
      return undefined;
  }
}
