import "reflect-metadata";
import { DATABASE, PostgresCluster, sqlLiteral, unlessPostgres, userSql } from "../support/postgres.ts";
import { dogtagRealmCi, realmCredentialsAndOutage, type UserStoreFixture } from "../support/realm_ci.ts";
import { tempDir } from "../support/temp.ts";

/** Dogtag's PostgreSQL-realm CI against this server, with a private cluster loaded like Dogtag's create.sql. */

const opts = { sanitizeOps: false, sanitizeResources: false, ignore: unlessPostgres() };

function database(db: PostgresCluster): UserStoreFixture {
  return {
    realmConf: () => ({
      class: "com.netscape.cms.realm.PKIPostgreSQLRealm",
      url: db.jdbcUrl,
      user: DATABASE.user,
      password: DATABASE.password,
      connectTimeout: "2",
      socketTimeout: "2",
    }),
    addUser: async (id, fullName, password, groups) =>
      void await db.psql(userSql(id, fullName, password, groups)),
    addCertificate: async (id, certId, der) =>
      void await db.psql(
        `INSERT INTO "user_certs" VALUES (${sqlLiteral(id)}, ${sqlLiteral(certId)}, '\\x${der.toHex()}');`,
      ),
    stop: () => db.stop(),
    resume: () => db.resume(),
  };
}

Deno.test("PKIPostgreSQLRealm: Dogtag's CI table, hostile names, database outage", opts, async (t) => {
  const db = await PostgresCluster.start();
  const dir = await tempDir({ prefix: "est-pg-ci-" });
  const store = database(db);
  try {
    await t.step("CI table b-k with the local CA", () => dogtagRealmCi(store, "local-ca", dir, ""));
    await t.step("CI table b-k with the Dogtag CA", () => dogtagRealmCi(store, "dogtag", dir, "-2"));
    await t.step("hostile and wrong credentials: 401; database down: 503, then recovery", async () => {
      const ms = await realmCredentialsAndOutage(store, dir);
      console.log(`database down: 503 after ${ms.toFixed(0)} ms`);
    });
  } finally {
    await db.close();
  }
});
