import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { postgresqlRealmSchema } from "../../src/config/postgresql_realm.ts";
import { certificateIdentity } from "../../src/realm/certificate_identity.ts";
import { PostgresqlRealm } from "../../src/realm/postgresql/postgresql_realm.ts";
import { createRealm } from "../../src/realm/registry.ts";
import { issueFromCa, makeOpensslCa, makeSelfSigned } from "../support/pki.ts";
import {
  CREATE_SQL,
  DATABASE,
  PostgresCluster,
  sqlLiteral,
  unlessPostgres,
  userSql,
} from "../support/postgres.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false, ignore: unlessPostgres() };

function realmOn(db: PostgresCluster, keys: Record<string, string> = {}): PostgresqlRealm {
  const config = postgresqlRealmSchema("/").parse({
    url: db.jdbcUrl,
    user: DATABASE.user,
    password: DATABASE.password,
    connectTimeout: "2",
    socketTimeout: "2",
    ...keys,
  });
  const realm = createRealm(config);
  assert.ok(realm instanceof PostgresqlRealm);
  return realm;
}

Deno.test("postgresql realm: password and certificate login against a private cluster", opts, async (t) => {
  const tmp = await tempDir({ prefix: "est-pg-realm-" });
  const ca = await makeOpensslCa(tmp, "database-ca");
  const server = await issueFromCa(tmp, ca, "/CN=127.0.0.1", {
    ext: "basicConstraints=CA:false\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n",
  });
  const db = await PostgresCluster.start({ tls: server });
  const realm = realmOn(db);
  try {
    await db.psql(
      userSql("est-test-user", "test.example.com", "Secret.123", ["EST Users"]) +
        `INSERT INTO "groups" VALUES ('Auditors', 'x'); INSERT INTO "group_members" VALUES ('Auditors', 'est-test-user');` +
        userSql("other", "Other User", "0ther.Pass") +
        `INSERT INTO "users" VALUES ('nopass', 'No Password', NULL);`,
    );

    await t.step("the right password gives id, full_name and group_id roles", async () => {
      assert.deepEqual(await realm.authenticate("est-test-user", "Secret.123"), {
        name: "est-test-user",
        fullName: "test.example.com",
        roles: ["Auditors", "EST Users"],
        method: "password",
      });
      assert.deepEqual(await realm.authenticate("other", "0ther.Pass"), {
        name: "other",
        fullName: "Other User",
        roles: [],
        method: "password",
      });
    });

    await t.step("wrong, empty and unknown credentials give null", async () => {
      for (
        const [user, password] of [
          ["est-test-user", "wrong"],
          ["est-test-user", ""],
          ["nobody", "Secret.123"],
          ["nopass", ""],
          ["nopass", "x"],
          ["", "Secret.123"],
          ["x".repeat(300), "Secret.123"],
        ]
      ) {
        assert.equal(await realm.authenticate(user, password), null, `${user}:${password}`);
      }
    });

    await t.step("SQL metacharacters in the user name are data, and match nobody", async () => {
      for (
        const user of [
          "' OR '1'='1",
          "est-test-user' --",
          "est-test-user'; DROP TABLE users; --",
          '"; DROP TABLE "users"; --',
          "%",
          "est-test-%",
          "est-test-user\u0000",
          "\\",
          "$1",
          "?",
        ]
      ) {
        assert.equal(await realm.authenticate(user, "Secret.123"), null, JSON.stringify(user));
      }
      assert.equal(await db.psql(`SELECT count(*) FROM "users"`), "3\n", "nothing dropped");
      assert.equal((await realm.authenticate("est-test-user", "Secret.123"))?.name, "est-test-user");
    });

    await t.step("certificate login: user_certs cert_id and the same DER", async () => {
      const cert = await makeSelfSigned(tmp, "/CN=test.example.com");
      const der = (await runOk("openssl", ["x509", "-in", cert.certPath, "-outform", "DER"])).stdout;
      const identity = certificateIdentity(der);
      assert.equal(await realm.authenticateCertificate(identity), null, "not known yet");
      await db.psql(
        `INSERT INTO "user_certs" VALUES ('est-test-user', ${
          sqlLiteral(identity.certId)
        }, '\\x${der.toHex()}');`,
      );
      assert.deepEqual(await realm.authenticateCertificate(identity), {
        name: "est-test-user",
        fullName: "test.example.com",
        roles: ["Auditors", "EST Users"],
        method: "certificate",
      });
      const other = await makeSelfSigned(tmp, "/CN=test.example.com");
      const otherDer = (await runOk("openssl", ["x509", "-in", other.certPath, "-outform", "DER"])).stdout;
      assert.equal(
        await realm.authenticateCertificate({ ...certificateIdentity(otherDer), certId: identity.certId }),
        null,
        "same certID, other bytes",
      );
    });

    await t.step("health is ok while the database answers", async () => {
      assert.deepEqual(await realm.health(), { ok: true });
    });

    await t.step("TLS to the database: verify-full against sslrootcert; another CA is refused", async () => {
      const stranger = await makeOpensslCa(tmp, "stranger-ca");
      const tls = realmOn(db, { ssl: "true", sslrootcert: ca.certPath });
      const wrong = realmOn(db, { sslmode: "verify-ca", sslrootcert: stranger.certPath });
      const unverified = realmOn(db, { sslmode: "require" });
      try {
        assert.equal((await tls.authenticate("est-test-user", "Secret.123"))?.name, "est-test-user");
        const encrypted = await db.psql(
          `SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) ` +
            `WHERE a.application_name = 'pki-est-server' AND s.ssl`,
          "postgres",
          "postgres",
        );
        assert.notEqual(encrypted.trim(), "0", "the realm's pooled connection is TLS");
        await assert.rejects(wrong.authenticate("est-test-user", "Secret.123"));
        assert.equal((await wrong.health()).ok, false);
        assert.equal((await unverified.authenticate("est-test-user", "Secret.123"))?.name, "est-test-user");
      } finally {
        await Promise.all([tls.close(), wrong.close(), unverified.close()]);
      }
    });

    await t.step("dbcreate.file, custom statements, outage and recovery", async () => {
      const dir = await tempDir({ prefix: "est-pg-conf-" });
      await db.psql(`CREATE DATABASE "fresh" OWNER "${DATABASE.user}";`, "postgres", "postgres");
      const createFile = join(dir, "create.sql");
      await Deno.writeTextFile(createFile, CREATE_SQL);
      const statements = join(dir, "statements.conf");
      await Deno.writeTextFile(
        statements,
        [
          `getUserByID=SELECT "id", "full_name", "password" FROM "users" WHERE "id" = ? AND "full_name" <> '?'`,
          `getUserByCertID=SELECT u.* FROM "users" u, "user_certs" c WHERE u."id" = c."user_id" AND c."cert_id" = ?`,
          `getUserCerts=SELECT "data" FROM "user_certs" WHERE "user_id" = ?`,
          `getUserRoles=SELECT "group_id" FROM "group_members" WHERE "user_id" = ? ORDER BY 1`,
        ].join("\n"),
      );
      const fresh = realmOn(db, {
        url: `jdbc:postgresql://127.0.0.1:${db.port}/fresh`,
        "dbcreate.file": createFile,
        statements,
      });
      try {
        // The tables come from dbcreate.file on first use; running it again finds them there.
        assert.equal(await fresh.authenticate("u1", "pw-1"), null);
        await db.psql(userSql("u1", "User One", "pw-1", ["EST Users"]), "fresh");
        assert.deepEqual(await fresh.authenticate("u1", "pw-1"), {
          name: "u1",
          fullName: "User One",
          roles: ["EST Users"],
          method: "password",
        });

        await db.stop();
        const started = performance.now();
        await assert.rejects(fresh.authenticate("u1", "pw-1"));
        const downMs = performance.now() - started;
        assert.ok(downMs < 5000, `${downMs} ms`);
        const down = await fresh.health();
        assert.equal(down.ok, false);
        assert.match(down.detail!, /^database 127\.0\.0\.1:\d+\/fresh: /);

        await db.resume();
        assert.equal((await fresh.authenticate("u1", "pw-1"))?.name, "u1", "recovered without a restart");
        assert.deepEqual(await fresh.health(), { ok: true });

        // A database that accepts and never answers: refused within the timeouts, then back when it answers.
        db.freeze();
        const frozenStart = performance.now();
        try {
          await assert.rejects(fresh.authenticate("u1", "pw-1"));
        } finally {
          db.thaw();
        }
        const frozenMs = performance.now() - frozenStart;
        assert.ok(frozenMs < 8000, `${frozenMs} ms`);
        console.log(`frozen database: refused after ${frozenMs.toFixed(0)} ms`);
        assert.equal((await fresh.authenticate("u1", "pw-1"))?.name, "u1");
      } finally {
        await fresh.close();
      }
    });
  } finally {
    await realm.close();
    await db.close();
  }
});
