import assert from "node:assert/strict";
import { join } from "node:path";
import type { LdapRealmConfig, PostgresqlRealmConfig } from "../../src/config/components.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { loadConfig } from "../../src/config/load.ts";
import { postgresqlRealmSchema } from "../../src/config/postgresql_realm.ts";
import { DEFAULT_STATEMENTS, numberedParameter } from "../../src/config/sql_statements.ts";
import { tempDir } from "../support/temp.ts";

/** realm.conf for PKILDAPRealm and PKIPostgreSQLRealm: Dogtag's files load, every fault has file:line. */

const CERT_PEM = "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n";
const KEY_PEM = "-----BEGIN EC PRIVATE KEY-----\nMA==\n-----END EC PRIVATE KEY-----\n";

const DS_CONF = `class=com.netscape.cms.realm.PKILDAPRealm
url=ldap://localhost.localdomain:389
authType=BasicAuth
bindDN=cn=Directory Manager
bindPassword=Secret.123
usersDN=ou=people,dc=est,dc=pki,dc=example,dc=com
groupsDN=ou=groups,dc=est,dc=pki,dc=example,dc=com
`;

const POSTGRESQL_CONF = `class=com.netscape.cms.realm.PKIPostgreSQLRealm
url=jdbc:postgresql://localhost.localdomain:5432/est
user=est
password=Secret.123
statements=statements.conf
`;

const STATEMENTS = `getUserByID=SELECT * FROM "users" WHERE "id" = ?
getUserByCertID=SELECT u.* FROM "users" u, "user_certs" uc WHERE u."id" = uc."user_id" AND uc."cert_id" = ?
getUserCerts=SELECT "data" FROM "user_certs" WHERE "user_id" = ?
getUserRoles=SELECT "group_id" FROM "group_members" WHERE "user_id" = ?
`;

async function withFiles<T>(files: Record<string, string>, use: (dir: string) => T): Promise<T> {
  const dir = await tempDir({ prefix: "est-realm-config-" });
  for (const [name, content] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), content);
  try {
    return use(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function realmOf(files: Record<string, string>) {
  return withFiles(files, (dir) => ({ dir, realm: loadConfig(dir).realm }));
}

async function issues(files: Record<string, string>): Promise<string[]> {
  return await withFiles(files, (dir) => {
    try {
      loadConfig(dir);
    } catch (err) {
      if (err instanceof ConfigError) return err.message.split("\n").map((l) => l.replaceAll(`${dir}/`, ""));
      throw err;
    }
    throw new Error("expected a ConfigError");
  });
}

Deno.test("ldap realm config: Dogtag's shipped ds.conf loads with its defaults", async () => {
  const { realm } = await realmOf({ "realm.conf": DS_CONF });
  assert.deepEqual(realm as LdapRealmConfig, {
    kind: "ldap",
    url: "ldap://localhost.localdomain:389",
    authType: "BasicAuth",
    bindDN: "cn=Directory Manager",
    bindPassword: "Secret.123",
    usersDN: "ou=people,dc=est,dc=pki,dc=example,dc=com",
    groupsDN: "ou=groups,dc=est,dc=pki,dc=example,dc=com",
    startTLS: false,
    minConns: 1,
    maxConns: 15,
    maxResults: 1000,
    errorIfDown: true,
    connectTimeout: 5,
    timeout: 10,
  });
});

Deno.test("ldap realm config: the alias, TLS files, SslClientAuth and anonymous searches", async () => {
  const files = { "ca.pem": CERT_PEM, "client.pem": CERT_PEM, "client.key": KEY_PEM };
  const { dir, realm } = await realmOf({
    ...files,
    "realm.conf":
      "class=ldap\nurl=ldaps://ds.example.com\nauthType=SslClientAuth\nclientCertFile=client.pem\n" +
      "clientKeyFile=client.key\ncaBundle=ca.pem\nusersDN=ou=people\ngroupsDN=ou=groups\nerrorIfDown=false\n",
  });
  const ldap = realm as LdapRealmConfig;
  assert.equal(ldap.url, "ldaps://ds.example.com");
  assert.equal(ldap.clientCertFile, join(dir, "client.pem"));
  assert.equal(ldap.clientKeyFile, join(dir, "client.key"));
  assert.equal(ldap.caBundle, join(dir, "ca.pem"));
  assert.equal(ldap.errorIfDown, false);
  const startTls = await realmOf({
    ...files,
    "realm.conf": "class=ldap\nurl=ldap://ds:1389/\nstartTLS=true\nauthType=SslClientAuth\n" +
      "clientCertFile=client.pem\nclientKeyFile=client.key\nusersDN=ou=people\ngroupsDN=ou=groups\n",
  });
  assert.equal((startTls.realm as LdapRealmConfig).url, "ldap://ds:1389");
  const anonymous = await realmOf({ "realm.conf": "class=ldap\nurl=ldap://ds\nusersDN=u\ngroupsDN=g\n" });
  assert.equal((anonymous.realm as LdapRealmConfig).bindDN, undefined);
});

Deno.test("ldap realm config: each bad key is named with its line", async () => {
  const base = "class=ldap\nusersDN=u\ngroupsDN=g\n";
  const cases: [string, string][] = [
    [
      "url=https://ds.example.com\n",
      "realm.conf:4: url: must be ldap://host[:port] or ldaps://host[:port], such as ldap://ds.example.com:389",
    ],
    [
      "url=not a url\n",
      "realm.conf:4: url: must be ldap://host[:port] or ldaps://host[:port], such as ldap://ds.example.com:389",
    ],
    [
      "url=ldap://ds/dc=x\n",
      "realm.conf:4: url: must be ldap://host[:port] or ldaps://host[:port], such as ldap://ds.example.com:389",
    ],
    ["url=ldap://ds\nauthType=Kerberos\n", "realm.conf:5: authType: must be BasicAuth or SslClientAuth"],
    [
      "url=ldap://ds\nnickname=subsystem\n",
      "realm.conf:5: nickname: NSS nicknames are not supported; export the certificate and key from the NSS database as PEM and give them as clientCertFile + clientKeyFile",
    ],
    ["url=ldaps://ds\nstartTLS=true\n", "realm.conf:5: startTLS: ldaps:// is TLS already; drop startTLS"],
    [
      "url=ldap://ds\nclientCertFile=c.pem\n",
      "realm.conf:5: clientCertFile: clientCertFile and clientKeyFile must be given together",
    ],
    [
      "url=ldap://ds\nclientKeyFile=k.pem\n",
      "realm.conf:5: clientKeyFile: clientCertFile and clientKeyFile must be given together",
    ],
    [
      "url=ldaps://ds\nauthType=SslClientAuth\n",
      "realm.conf:5: authType: SslClientAuth needs clientCertFile and clientKeyFile",
    ],
    [
      "url=ldap://ds\nauthType=SslClientAuth\nclientCertFile=c.pem\nclientKeyFile=k.pem\n",
      "realm.conf:5: authType: SslClientAuth needs an ldaps:// url or startTLS=true",
    ],
    [
      "url=ldap://ds\nbindDN=cn=x\n",
      "realm.conf:5: bindDN: bindDN and bindPassword must be given together (neither for anonymous searches)",
    ],
    [
      "url=ldap://ds\nbindPassword=x\n",
      "realm.conf:5: bindPassword: bindDN and bindPassword must be given together (neither for anonymous searches)",
    ],
    ["url=ldap://ds\nminConns=5\nmaxConns=2\n", "realm.conf:5: minConns: must not exceed maxConns"],
    [
      "url=ldap://ds\ncaBundle=missing.pem\n",
      "realm.conf:5: caBundle: cannot read missing.pem: No such file or directory (os error 2), open 'missing.pem'",
    ],
    ["url=ldap://ds\ncaBundle=k.pem\n", "realm.conf:5: caBundle: k.pem holds no PEM CERTIFICATE"],
    [
      "url=ldap://ds\nclientCertFile=c.pem\nclientKeyFile=c.pem\n",
      "realm.conf:6: clientKeyFile: c.pem holds no PEM PRIVATE KEY",
    ],
  ];
  for (const [keys, expected] of cases) {
    const found = await issues({ "realm.conf": base + keys, "c.pem": CERT_PEM, "k.pem": KEY_PEM });
    assert.deepEqual(
      found.map((l) =>
        l.replace(
          /cannot read \S*missing\.pem: .*/,
          "cannot read missing.pem: No such file or directory (os error 2), open 'missing.pem'",
        )
      ),
      [expected],
      keys,
    );
  }
  assert.deepEqual(await issues({ "realm.conf": "class=ldap\nurl=ldap://ds\n" }), [
    "realm.conf:1: usersDN: is required",
    "realm.conf:1: groupsDN: is required",
  ]);
});

Deno.test("postgresql realm config: Dogtag's shipped postgresql.conf and statements.conf load", async () => {
  const { dir, realm } = await realmOf({
    "realm.conf": POSTGRESQL_CONF,
    "statements.conf": STATEMENTS,
  });
  assert.deepEqual(realm as PostgresqlRealmConfig, {
    kind: "postgresql",
    url: { host: "localhost.localdomain", port: 5432, database: "est" },
    user: "est",
    password: "Secret.123",
    statements: {
      getUserByID: 'SELECT * FROM "users" WHERE "id" = $1',
      getUserByCertID:
        'SELECT u.* FROM "users" u, "user_certs" uc WHERE u."id" = uc."user_id" AND uc."cert_id" = $1',
      getUserCerts: 'SELECT "data" FROM "user_certs" WHERE "user_id" = $1',
      getUserRoles: 'SELECT "group_id" FROM "group_members" WHERE "user_id" = $1',
    },
    "credentialHandler.algorithm": "sha512",
    "credentialHandler.encoding": "utf8",
    "credentialHandler.iterations": 1,
    "credentialHandler.saltLength": 32,
    sslmode: "disable",
    connectTimeout: 5,
    socketTimeout: 10,
    maxConns: 4,
  });
  assert.ok(dir);
});

Deno.test("postgresql realm config: JDBC properties in the URL, TLS, digests, defaults", async () => {
  const { dir, realm } = await realmOf({
    "realm.conf":
      "class=postgresql\nurl=jdbc:postgresql://[::1]/est%20db?ssl=true&sslmode=verify-ca&user=ignored\n" +
      "user=est\nsslrootcert=ca.pem\nsslcert=c.pem\nsslkey=k.pem\ndbcreate.file=create.sql\n" +
      "credentialHandler.algorithm=sha-256\ncredentialHandler.encoding=ISO-8859-1\n",
    "ca.pem": CERT_PEM,
    "c.pem": CERT_PEM,
    "k.pem": KEY_PEM,
    "create.sql": "CREATE TABLE x (y int);",
  });
  const pg = realm as PostgresqlRealmConfig;
  assert.deepEqual(pg.url, { host: "::1", port: 5432, database: "est db" });
  assert.equal(pg.user, "est", "a key beside the URL wins over the same one in it");
  assert.equal(pg.sslmode, "verify-ca");
  assert.equal(pg.sslrootcert, join(dir, "ca.pem"));
  assert.equal(pg["dbcreate.file"], join(dir, "create.sql"));
  assert.equal(pg["credentialHandler.algorithm"], "sha256");
  assert.equal(pg["credentialHandler.encoding"], "latin1");
  assert.deepEqual(pg.statements, DEFAULT_STATEMENTS);
  const sslOnly = await realmOf({
    "realm.conf": "class=postgresql\nurl=jdbc:postgresql://db/est?ssl=true\nuser=est\n",
  });
  assert.equal(
    (sslOnly.realm as PostgresqlRealmConfig).sslmode,
    "verify-full",
    "ssl=true verifies, as pgjdbc does",
  );
  // Not an object, or a url that is not text: left to the schema's own messages.
  assert.equal(postgresqlRealmSchema("/").safeParse("x").success, false);
  assert.equal(postgresqlRealmSchema("/").safeParse({ url: 5, user: "u" }).success, false);
});

Deno.test("postgresql realm config: each bad key is named with its line", async () => {
  const base = "class=postgresql\nuser=est\n";
  const urlMessage =
    "must be jdbc:postgresql://host[:port]/database, such as jdbc:postgresql://db.example.com:5432/est";
  const cases: [string, string][] = [
    ["url=postgresql://db/est\n", `realm.conf:3: url: ${urlMessage}`],
    ["url=jdbc:postgresql://db\n", `realm.conf:3: url: ${urlMessage}`],
    ["url=jdbc:postgresql://db/a/b\n", `realm.conf:3: url: ${urlMessage}`],
    ["url=jdbc:postgresql://db/a#x\n", `realm.conf:3: url: ${urlMessage}`],
    ["url=jdbc:postgresql://[bad/est\n", `realm.conf:3: url: ${urlMessage}`],
    [
      "url=jdbc:postgresql://db/est\ncredentialHandler.algorithm=SHA3\n",
      "realm.conf:4: credentialHandler.algorithm: must be one of MD5, SHA, SHA-1, SHA-224, SHA-256, SHA-384, SHA-512",
    ],
    [
      "url=jdbc:postgresql://db/est\ncredentialHandler.encoding=EBCDIC\n",
      "realm.conf:4: credentialHandler.encoding: must be UTF-8 or ISO-8859-1",
    ],
    [
      "url=jdbc:postgresql://db/est\nsslmode=prefer\n",
      "realm.conf:4: sslmode: must be disable, require, verify-ca or verify-full",
    ],
    [
      "url=jdbc:postgresql://db/est\nsslcert=c.pem\n",
      "realm.conf:4: sslcert: sslcert and sslkey must be given together",
    ],
    [
      "url=jdbc:postgresql://db/est\nsslkey=k.pem\n",
      "realm.conf:4: sslkey: sslcert and sslkey must be given together",
    ],
    ["url=jdbc:postgresql://db/est\nssl=maybe\n", 'realm.conf:4: ssl: must be "true" or "false"'],
    [
      "url=jdbc:postgresql://db/est\nstatements=none.conf\n",
      "realm.conf:4: statements: cannot read none.conf",
    ],
    [
      "url=jdbc:postgresql://db/est\nstatements=bad.conf\n",
      "realm.conf:4: statements: bad.conf:1: malformed \\uXXXX escape",
    ],
    [
      "url=jdbc:postgresql://db/est\nstatements=short.conf\n",
      'realm.conf:4: statements: short.conf has no "getUserRoles" statement',
    ],
    [
      "url=jdbc:postgresql://db/est\nstatements=two.conf\n",
      'realm.conf:4: statements: two.conf:2: getUserByCertID must take exactly one "?" parameter',
    ],
    ["url=jdbc:postgresql://db/est\nmaxConns=0\n", "realm.conf:4: maxConns: must be at least 1"],
    ["url=jdbc:postgresql://db/est?bogus=1\n", "realm.conf:1: bogus: unknown key"],
  ];
  const [byId, byCert, certs] = STATEMENTS.split("\n");
  for (const [keys, expected] of cases) {
    const found = await issues({
      "realm.conf": base + keys,
      "c.pem": CERT_PEM,
      "k.pem": KEY_PEM,
      "bad.conf": "getUserByID=\\uZZZZ\n",
      "short.conf": `${byId}\n${byCert}\n${certs}\ngetUserRoles=\n`,
      "two.conf": `${byId}\n${byCert} OR "x" = ?\n`,
    });
    assert.deepEqual(found.map((l) => l.replace(/(cannot read none\.conf).*/, "$1")), [expected], keys);
  }
  assert.deepEqual(await issues({ "realm.conf": "class=postgresql\n" }), [
    "realm.conf:1: url: is required",
    "realm.conf:1: user: is required",
  ]);
});

Deno.test("statements: one ? outside quotes becomes $1", () => {
  assert.equal(numberedParameter(`SELECT 1 WHERE a = ?`), "SELECT 1 WHERE a = $1");
  assert.equal(
    numberedParameter(`SELECT '?', "?x" WHERE a = ? AND b = 'it''s?'`),
    `SELECT '?', "?x" WHERE a = $1 AND b = 'it''s?'`,
  );
  assert.equal(numberedParameter("SELECT 1"), null);
  assert.equal(numberedParameter("SELECT ? , ?"), null);
});
