import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadClientKey, parseKeyType } from "../../src/client/keys.ts";
import { csrForSubject } from "../../src/client/csr.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const tmp = await tempDir({ prefix: "client-keys-" });

Deno.test("key types: names and aliases; unknown ones are usage errors", () => {
  assert.equal(parseKeyType("P-256"), "ec-p256");
  assert.equal(parseKeyType("ec"), "ec-p256");
  assert.equal(parseKeyType("secp384r1".replace("secp384r1", "ec-p384")), "ec-p384");
  assert.equal(parseKeyType("RSA:3072"), "rsa3072");
  assert.equal(parseKeyType("rsa"), "rsa2048");
  assert.equal(parseKeyType("rsa4096"), "rsa4096");
  assert.throws(() => parseKeyType("ed25519"), /unknown key type "ed25519"/);
});

Deno.test("keys: PKCS#8, SEC1 and PKCS#1 PEM keys sign CSRs that openssl verifies", async () => {
  const forms: [string, string[]][] = [
    ["ec-p256.pem", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]],
    ["ec-p384-sec1.pem", ["ecparam", "-name", "secp384r1", "-genkey", "-noout"]],
    ["rsa-pkcs1.pem", ["genrsa", "-traditional", "2048"]],
  ];
  for (const [name, args] of forms) {
    const path = join(tmp, name);
    await runOk("openssl", [args[0], "-out", path, ...args.slice(1)]);
    const key = await loadClientKey(await Deno.readTextFile(path), path);
    const csr = await csrForSubject({ cn: "dev", dns: [], ip: [] }, key);
    const verified = await runOk("openssl", ["req", "-inform", "DER", "-verify", "-noout"], csr);
    assert.match(verified.stderr + verified.text, /verify OK/i, name);
  }
});

Deno.test("keys: unsupported or unreadable keys are refused", async () => {
  const ed = join(tmp, "ed.pem");
  await runOk("openssl", ["genpkey", "-algorithm", "ed25519", "-out", ed]);
  await assert.rejects(loadClientKey(await Deno.readTextFile(ed), ed), /only EC P-256\/P-384 and RSA/);
  const k1 = join(tmp, "k1.pem");
  await runOk("openssl", [
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:secp256k1",
    "-out",
    k1,
  ]);
  await assert.rejects(loadClientKey(await Deno.readTextFile(k1), k1), /only EC P-256\/P-384 and RSA/);
  await assert.rejects(
    loadClientKey("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "x"),
    /no readable/,
  );
});

Deno.test("CSR subjects: RFC 4514 text, OpenSSL's slash form with escapes, and --cn with specials", async () => {
  const key = await loadClientKey(
    (await runOk("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])).text,
    "generated",
  );
  const subjectOf = async (names: Parameters<typeof csrForSubject>[0]) => {
    const csr = await csrForSubject(names, key);
    return (await runOk(
      "openssl",
      ["req", "-inform", "DER", "-noout", "-subject", "-nameopt", "RFC2253"],
      csr,
    ))
      .text.trim();
  };
  assert.equal(await subjectOf({ subject: "O=Acme, CN=dev", dns: [], ip: [] }), "subject=CN=dev,O=Acme");
  assert.equal(await subjectOf({ subject: "/O=A\\/B/CN=x, y", dns: [], ip: [] }), "subject=CN=x\\, y,O=A/B");
  assert.equal(await subjectOf({ cn: "a+b", dns: [], ip: [] }), "subject=CN=a\\+b");
  await assert.rejects(
    csrForSubject({ subject: "/novalue", dns: [], ip: [] }, key),
    /cannot read the subject/,
  );
});
