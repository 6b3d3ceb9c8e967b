import type { RealmConfig } from "../config/components.ts";
import { InMemoryRealm } from "./in_memory.ts";
import { LdapRealm } from "./ldap/ldap_realm.ts";
import { PostgresqlRealm } from "./postgresql/postgresql_realm.ts";
import type { Realm } from "./realm.ts";

/** Builds the realm a configuration names. */
export function createRealm(config: RealmConfig): Realm {
  switch (config.kind) {
    case "in-memory":
      return new InMemoryRealm(config);
    case "ldap":
      return new LdapRealm(config);
    case "postgresql":
      return new PostgresqlRealm(config);
  }
}
