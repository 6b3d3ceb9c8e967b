import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { LocalCaBackend } from "../../src/backend/local_ca/local_ca_backend.ts";
import { isRevocationReason, normalizeSerial, revokeCertificate } from "../../src/backend/local_ca/revoke.ts";
import type { LocalCaConfig } from "../../src/config/components.ts";
import { loadConfig } from "../../src/config/load.ts";
import { parseCsr } from "../../src/pki/csr.ts";
import { makeCsr } from "../support/pki.ts";
import * as x509 from "@peculiar/x509";
import { tempDir } from "../support/temp.ts";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("revoke: serials in the forms people paste them", () => {
  assert.equal(normalizeSerial("0x4A:0b:00"), "4a0b00");
  assert.equal(normalizeSerial("  00FF "), "ff");
  assert.equal(normalizeSerial("0"), "0");
  assert.equal(normalizeSerial("xyz"), undefined);
  assert.equal(normalizeSerial(""), undefined);
  assert.ok(isRevocationReason("keyCompromise"));
  assert.ok(!isRevocationReason("lost it"));
});

Deno.test("revoke: marks the store; again says so; unknown serials are reported", async () => {
  const dir = await tempDir();
  const config = loadConfig(dir);
  assert.deepEqual(
    await revokeCertificate(config, "abcd", "unspecified"),
    { status: "unknown-serial" },
    "no store yet",
  );
  const ca = await LocalCaBackend.open(config.backend as LocalCaConfig, config.server.state_dir);
  const csr = await parseCsr((await makeCsr(dir, "/CN=alice")).csrDer, { minRsaBits: 2048 });
  const issued = await ca.enroll(csr, {
    principal: { name: "a", roles: [], method: "password" },
    requestId: "r",
    remoteAddr: "x",
    issuance: {},
  });
  const first = await revokeCertificate(config, issued.serialHex, "superseded");
  assert.equal(first.status, "revoked");
  assert.equal(first.status === "revoked" && first.record.revocationReason, "superseded");
  assert.ok(await ca.isRevoked(new x509.X509Certificate(issued.der)), "the running backend sees it");
  assert.equal(
    (await revokeCertificate(config, issued.serialHex, "keyCompromise")).status,
    "already-revoked",
  );
  assert.equal((await revokeCertificate(config, "1234", "unspecified")).status, "unknown-serial");
  const foreign = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: issued.serialHex,
    name: "CN=Elsewhere",
    keys: await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
      "sign",
      "verify",
    ]) as CryptoKeyPair,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
  });
  assert.equal(await ca.isRevoked(foreign), false, "same serial from another issuer is not ours");
  await ca.close();
});

Deno.test("revoke: the CLI revokes, refuses bad input and reports unknown serials", async () => {
  const dir = await tempDir();
  const cli = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(root, "main.ts"), "revoke", "--config", dir, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
    };
  };
  assert.equal((await cli()).code, 2);
  assert.equal((await cli("zz")).code, 2);
  const badReason = await cli("ab", "--reason", "whim");
  assert.equal(badReason.code, 2);
  assert.match(badReason.text, /unknown reason "whim"; use one of unspecified, keyCompromise/);
  const unknown = await cli("ab");
  assert.equal(unknown.code, 1);
  assert.match(unknown.text, /has not issued a certificate with serial ab/);
  const config = loadConfig(dir);
  const ca = await LocalCaBackend.open(config.backend as LocalCaConfig, config.server.state_dir);
  const csr = await parseCsr((await makeCsr(dir, "/CN=bob")).csrDer, { minRsaBits: 2048 });
  const issued = await ca.enroll(csr, {
    principal: { name: "b", roles: [], method: "password" },
    requestId: "r",
    remoteAddr: "x",
    issuance: {},
  });
  await ca.close();
  const colon = issued.serialHex.toUpperCase().match(/../g)!.join(":");
  const ok = await cli(colon);
  assert.equal(ok.code, 0, ok.text);
  assert.match(ok.text, new RegExp(`^revoked ${issued.serialHex} \\(CN=bob\\): unspecified`));
  const again = await cli(issued.serialHex);
  assert.equal(again.code, 0);
  assert.match(again.text, /was already revoked at \d{4}-/);
});
