import "reflect-metadata";
import assert from "node:assert/strict";
import { ldapRealmSchema } from "../../src/config/ldap_realm.ts";
import { certificateIdentity } from "../../src/realm/certificate_identity.ts";
import { LdapRealm } from "../../src/realm/ldap/ldap_realm.ts";
import { createRealm } from "../../src/realm/registry.ts";
import { issueFromCa, makeOpensslCa, makeSelfSigned, type OpensslCa } from "../support/pki.ts";
import {
  DIRECTORY_MANAGER,
  GROUPS_DN,
  Slapd,
  unlessSlapd,
  userCertificateLdif,
  userLdif,
  USERS_DN,
} from "../support/slapd.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false, ignore: unlessSlapd() };

function realmOn(slapd: Slapd, keys: Record<string, string> = {}): LdapRealm {
  // A blank value is unset, as in a .conf file.
  const config = ldapRealmSchema("/").parse(Object.fromEntries(
    Object.entries({
      url: slapd.url,
      authType: "BasicAuth",
      bindDN: DIRECTORY_MANAGER.dn,
      bindPassword: DIRECTORY_MANAGER.password,
      usersDN: USERS_DN,
      groupsDN: GROUPS_DN,
      connectTimeout: "2",
      timeout: "2",
      ...keys,
    }).filter(([, value]) => value !== ""),
  ));
  const realm = createRealm(config);
  assert.ok(realm instanceof LdapRealm);
  return realm;
}

async function derOf(certPath: string): Promise<Uint8Array<ArrayBuffer>> {
  return (await runOk("openssl", ["x509", "-in", certPath, "-outform", "DER"])).stdout;
}

/** A CA, the directory's TLS certificate (for 127.0.0.1) and the realm's client certificate, made by openssl. */
async function directoryPki(dir: string) {
  const ca = await makeOpensslCa(dir, "Directory CA");
  const server = await issueFromCa(dir, ca, "/CN=127.0.0.1", {
    ext: "basicConstraints=CA:false\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n",
  });
  const client = await issueFromCa(dir, ca, "/O=EXAMPLE/CN=est-realm");
  return { ca, server, client };
}

Deno.test("ldap realm: password and certificate login against a private slapd", opts, async (t) => {
  const tmp = await tempDir({ prefix: "est-ldap-realm-" });
  const pki = await directoryPki(tmp);
  const slapd = await Slapd.start({
    tls: { certPath: pki.server.certPath, keyPath: pki.server.keyPath, caPath: pki.ca.certPath },
    readers: ["cn=est-realm,o=example"],
  });
  const realm = realmOn(slapd);
  try {
    await slapd.modify(userLdif("est-test-user", "test.example.com", "Secret.123", ["EST Users"]));
    await slapd.modify(
      `dn: cn=Auditors,${GROUPS_DN}\nchangetype: add\nobjectClass: groupOfUniqueNames\n` +
        `cn: Auditors\nuniqueMember: uid=est-test-user,${USERS_DN}\n`,
    );
    await slapd.modify(userLdif("other", "Other User", "0ther.Pass"));
    // Three entries sharing one uid: nobody logs in as "dup".
    for (const n of [1, 2, 3]) {
      await slapd.modify(
        `dn: cn=dup${n},${USERS_DN}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: dup\ncn: dup${n}\n` +
          "sn: dup\nuserPassword: Dup.Pass\n",
      );
    }

    await t.step("the right password gives uid, cn and the groups' cn as roles", async () => {
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

    await t.step("wrong, empty and unknown credentials give null; the pool stays usable", async () => {
      for (
        const [user, password] of [
          ["est-test-user", "wrong"],
          ["est-test-user", ""],
          ["nobody", "Secret.123"],
          ["", "Secret.123"],
          ["", ""],
          ["x".repeat(300), "Secret.123"],
          ["dup", "Dup.Pass"],
        ]
      ) {
        assert.equal(await realm.authenticate(user, password), null, `${user}:${password}`);
      }
      assert.equal((await realm.authenticate("est-test-user", "Secret.123"))?.name, "est-test-user");
    });

    await t.step("filter metacharacters in the user name match nobody", async () => {
      for (
        const user of [
          "*",
          "est-test-user*",
          "est-*",
          "*)(uid=*",
          "est-test-user)(|(uid=*",
          "est-test-user\\2a",
          "\\",
          "est-test-user\u0000",
          "\u0000",
          "(uid=est-test-user)",
        ]
      ) {
        assert.equal(await realm.authenticate(user, "Secret.123"), null, JSON.stringify(user));
      }
    });

    await t.step("certificate login: description = certID and the same DER", async () => {
      const cert = await makeSelfSigned(tmp, "/CN=test.example.com");
      const identity = certificateIdentity(await derOf(cert.certPath));
      assert.equal(await realm.authenticateCertificate(identity), null, "not known yet");
      await slapd.modify(userCertificateLdif("est-test-user", identity.certId, identity.der));
      assert.deepEqual(await realm.authenticateCertificate(identity), {
        name: "est-test-user",
        fullName: "test.example.com",
        roles: ["Auditors", "EST Users"],
        method: "certificate",
      });
      // The same certID with other bytes (a forged certificate naming the same serial and names) is refused.
      const forged = await makeSelfSigned(tmp, "/CN=test.example.com");
      const forgedIdentity = certificateIdentity(await derOf(forged.certPath));
      assert.equal(await realm.authenticateCertificate({ ...forgedIdentity, certId: identity.certId }), null);
    });

    await t.step("health is ok while the directory answers", async () => {
      assert.deepEqual(await realm.health(), { ok: true });
    });

    await t.step("StartTLS and ldaps:// verify the directory against caBundle", async () => {
      await tlsLogin(slapd, pki.ca, { url: slapd.url, startTLS: "true" });
      await tlsLogin(slapd, pki.ca, { url: slapd.tlsUrl });
      // A directory certificate from another CA is refused (the realm throws: 503), never trusted.
      const stranger = await makeOpensslCa(tmp, "Stranger CA");
      const variants: Record<string, string>[] = [{ url: slapd.url, startTLS: "true" }, {
        url: slapd.tlsUrl,
      }];
      for (const keys of variants) {
        const wrong = realmOn(slapd, { ...keys, caBundle: stranger.certPath });
        try {
          await assert.rejects(wrong.authenticate("est-test-user", "Secret.123"));
          assert.equal((await wrong.health()).ok, false);
        } finally {
          await wrong.close();
        }
      }
    });

    await t.step("SslClientAuth: SASL EXTERNAL with the client certificate", async () => {
      const keys = {
        authType: "SslClientAuth",
        clientCertFile: pki.client.certPath,
        clientKeyFile: pki.client.keyPath,
        caBundle: pki.ca.certPath,
        bindDN: "",
        bindPassword: "",
      };
      const variants: Record<string, string>[] = [{ url: slapd.tlsUrl }, {
        url: slapd.url,
        startTLS: "true",
      }];
      for (const url of variants) {
        const tls = realmOn(slapd, { ...keys, ...url });
        try {
          assert.deepEqual(await tls.authenticate("est-test-user", "Secret.123"), {
            name: "est-test-user",
            fullName: "test.example.com",
            roles: ["Auditors", "EST Users"],
            method: "password",
          });
          assert.equal(await tls.authenticate("est-test-user", "wrong"), null);
          assert.equal((await tls.authenticate("est-test-user", "Secret.123"))?.name, "est-test-user");
        } finally {
          await tls.close();
        }
      }
    });

    await t.step("a directory that is down or frozen fails within the timeout, and recovers", async () => {
      const lenient = realmOn(slapd, { errorIfDown: "false" });
      try {
        await slapd.modify(userLdif("u1", "User One", "pw-1", ["EST Users"]));
        assert.equal((await realm.authenticate("u1", "pw-1"))?.name, "u1");

        await slapd.stop();
        let started = performance.now();
        await assert.rejects(realm.authenticate("u1", "pw-1"));
        assert.ok(performance.now() - started < 5000);
        assert.equal(await lenient.authenticate("u1", "pw-1"), null, "errorIfDown=false: a refusal");
        const down = await realm.health();
        assert.equal(down.ok, false);
        assert.match(down.detail!, /^directory ldap:\/\/127\.0\.0\.1:\d+: /);

        await slapd.resume();
        assert.equal((await realm.authenticate("u1", "pw-1"))?.name, "u1", "recovered without a restart");
        assert.deepEqual(await realm.health(), { ok: true });

        slapd.freeze();
        started = performance.now();
        await assert.rejects(realm.authenticate("u1", "pw-1"));
        const frozenMs = performance.now() - started;
        assert.ok(frozenMs < 6000, `${frozenMs} ms`);
        console.log(`frozen directory: refused after ${frozenMs.toFixed(0)} ms`);
        slapd.thaw();
        assert.equal((await realm.authenticate("u1", "pw-1"))?.name, "u1");
      } finally {
        await lenient.close();
      }
    });
  } finally {
    await realm.close();
    await slapd.close();
  }
});

/** A BasicAuth realm over TLS logs the user in, twice (the second time on a pooled connection). */
async function tlsLogin(slapd: Slapd, ca: OpensslCa, keys: Record<string, string>): Promise<void> {
  const realm = realmOn(slapd, { caBundle: ca.certPath, ...keys });
  try {
    for (let i = 0; i < 2; i++) {
      assert.equal((await realm.authenticate("est-test-user", "Secret.123"))?.name, "est-test-user");
    }
    assert.deepEqual(await realm.health(), { ok: true });
  } finally {
    await realm.close();
  }
}
