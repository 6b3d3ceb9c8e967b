import assert from "node:assert/strict";
import { parseBasicAuthorization } from "../../src/realm/basic_credentials.ts";
import { secretsEqual } from "../../src/realm/constant_time.ts";
import { InMemoryRealm } from "../../src/realm/in_memory.ts";
import { createRealm } from "../../src/realm/registry.ts";

const config = {
  kind: "in-memory" as const,
  username: "alice",
  password: "4me2Test",
  roles: ["estclient", "Administrators"],
  fullName: "Administrator",
  demo: false,
};

Deno.test("in-memory realm: the configured user gets a principal with sorted roles", async () => {
  const realm = createRealm(config);
  assert.ok(realm instanceof InMemoryRealm);
  assert.deepEqual(await realm.authenticate("alice", "4me2Test"), {
    name: "alice",
    fullName: "Administrator",
    roles: ["Administrators", "estclient"],
    method: "password",
  });
  assert.deepEqual(await realm.health(), { ok: true });
  await realm.close();
});

Deno.test("in-memory realm: wrong user, wrong password, prefixes and empty values fail", async () => {
  const realm = new InMemoryRealm(config);
  for (
    const [u, p] of [["alice", "wrong"], ["bob", "4me2Test"], ["alice", "4me2Tes"], ["alice", "4me2Test "], [
      "",
      "",
    ]]
  ) {
    assert.equal(await realm.authenticate(u, p), null, `${u}:${p}`);
  }
});

Deno.test("constant-time comparison is exact and length-safe", () => {
  assert.equal(secretsEqual("a", "a"), true);
  assert.equal(secretsEqual("a", "ab"), false);
  assert.equal(secretsEqual("", ""), true);
  assert.equal(secretsEqual("é", "e\u0301"), false);
  // The candidate is read to its own length against the secret repeated: a repetition, a prefix or an
  // extension of the secret is still a different secret.
  assert.equal(secretsEqual("abab", "ab"), false);
  assert.equal(secretsEqual("ab", "abab"), false);
  assert.equal(secretsEqual("a", ""), false);
  assert.equal(secretsEqual("", "a"), false);
  assert.equal(secretsEqual("estpass", "estpasS"), false);
  assert.equal(secretsEqual("pässwörd\u{1F511}", "pässwörd\u{1F511}"), true);
  assert.equal(secretsEqual("pässwörd\u{1F511}", "pässwörd\u{1F512}"), false);
});

Deno.test("basic credentials: parsed from any case of the scheme, colon in password kept", () => {
  const header = (s: string) => `Basic ${new TextEncoder().encode(s).toBase64()}`;
  assert.deepEqual(parseBasicAuthorization(header("alice:4me2Test")), {
    username: "alice",
    password: "4me2Test",
  });
  assert.deepEqual(parseBasicAuthorization(`bAsIc  ${btoa("u:p:q")} `), { username: "u", password: "p:q" });
  assert.deepEqual(parseBasicAuthorization(header("ünï:cödé")), { username: "ünï", password: "cödé" });
  assert.deepEqual(parseBasicAuthorization(header(":")), { username: "", password: "" });
  // Padding is optional.
  assert.deepEqual(parseBasicAuthorization(`Basic ${btoa("u:pw").replace(/=+$/, "")}`), {
    username: "u",
    password: "pw",
  });
});

Deno.test("basic credentials: absent, other schemes and malformed values are null", () => {
  for (
    const bad of [
      undefined,
      null,
      "",
      "Bearer abc",
      "Basic",
      "Basic !!!",
      `Basic ${btoa("nocolon")}`,
      "Basic QQ=Q",
      "Basic Q",
      `Basic ${new Uint8Array([0xff, 0xfe, 0x3a]).toBase64()}`,
    ]
  ) {
    assert.equal(parseBasicAuthorization(bad), null, String(bad));
  }
});
