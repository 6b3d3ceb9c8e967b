import type { Context } from "hono";
import { parseBasicAuthorization } from "../realm/basic_credentials.ts";
import type { Principal } from "../realm/realm.ts";
import type { EstEnv } from "./env.ts";
import { EstError, UnauthorizedError, UnavailableError } from "./errors.ts";
import type { EstServices } from "./services.ts";

/** Establishes who is asking (HTTP Basic against the realm); 401 with a challenge otherwise. */
export async function authenticate(c: Context<EstEnv>, services: EstServices): Promise<Principal> {
  const realmName = services.settings.authRealmName;
  const credentials = parseBasicAuthorization(c.req.header("authorization"));
  if (credentials === null || services.realm === undefined) {
    throw new UnauthorizedError("Authentication required", realmName);
  }
  let principal: Principal | null;
  try {
    principal = await services.realm.authenticate(credentials.username, credentials.password);
  } catch (err) {
    if (err instanceof EstError) throw err;
    throw new UnavailableError("Authentication service unavailable", 30);
  }
  if (principal === null) throw new UnauthorizedError("Invalid credentials", realmName);
  c.set("principal", principal);
  return principal;
}
