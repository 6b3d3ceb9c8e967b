import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { propertiesText } from "../support/dogtag.ts";
import { dogtagRealmCi, realmCredentialsAndOutage, type UserStoreFixture } from "../support/realm_ci.ts";
import {
  DIRECTORY_MANAGER,
  GROUPS_DN,
  Slapd,
  unlessSlapd,
  userCertificateLdif,
  userLdif,
  USERS_DN,
} from "../support/slapd.ts";
import { tempDir } from "../support/temp.ts";

/** Dogtag's DS-realm CI against this server, with a private slapd loaded like Dogtag's create.ldif. */

const opts = { sanitizeOps: false, sanitizeResources: false, ignore: unlessSlapd() };

function directory(slapd: Slapd): UserStoreFixture {
  return {
    realmConf: () => ({
      class: "com.netscape.cms.realm.PKILDAPRealm",
      url: slapd.url,
      authType: "BasicAuth",
      bindDN: DIRECTORY_MANAGER.dn,
      bindPassword: DIRECTORY_MANAGER.password,
      usersDN: USERS_DN,
      groupsDN: GROUPS_DN,
      connectTimeout: "2",
      timeout: "2",
    }),
    addUser: (id, fullName, password, groups) => slapd.modify(userLdif(id, fullName, password, groups)),
    addCertificate: (id, certId, der) => slapd.modify(userCertificateLdif(id, certId, der)),
    stop: () => slapd.stop(),
    resume: () => slapd.resume(),
  };
}

Deno.test("PKILDAPRealm: Dogtag's CI table, hostile names, directory outage", opts, async (t) => {
  const slapd = await Slapd.start();
  const dir = await tempDir({ prefix: "est-ldap-ci-" });
  const store = directory(slapd);
  try {
    await t.step("CI table b-k with the local CA", () => dogtagRealmCi(store, "local-ca", dir, ""));
    await t.step("CI table b-k with the Dogtag CA", () => dogtagRealmCi(store, "dogtag", dir, "-2"));
    await t.step("check-config --connect reaches the directory", async () => {
      const conf = join(dir, "check-config");
      await Deno.mkdir(conf);
      await Deno.writeTextFile(join(conf, "realm.conf"), propertiesText(store.realmConf()));
      const main = new URL("../../main.ts", import.meta.url).pathname;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", main, "check-config", "--connect", "--config", conf],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.match(new TextDecoder().decode(out.stdout), /^# realm: connected$/m);
    });
    await t.step("hostile and wrong credentials: 401; directory down: 503, then recovery", async () => {
      const ms = await realmCredentialsAndOutage(store, dir);
      console.log(`directory down: 503 after ${ms.toFixed(0)} ms`);
    });
  } finally {
    await slapd.close();
  }
});
