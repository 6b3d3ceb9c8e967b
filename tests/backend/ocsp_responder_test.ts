import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { toPem } from "../../src/encoding/pem.ts";
import { LocalCaBackend } from "../../src/backend/local_ca/local_ca_backend.ts";
import { OCSP_STATUS, OcspResponder } from "../../src/backend/local_ca/ocsp_responder.ts";
import { caSigningIdentity, DelegatedOcspSigner } from "../../src/backend/local_ca/ocsp_signing_identity.ts";
import type { LocalCaConfig } from "../../src/config/components.ts";
import { loadConfig } from "../../src/config/load.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

async function setUp() {
  const dir = await tempDir({ prefix: "est-ocsp-" });
  const config = loadConfig(dir);
  const backend = await LocalCaBackend.open(config.backend as LocalCaConfig, config.server.state_dir);
  const caPath = join(dir, "ca.pem");
  await Deno.writeTextFile(caPath, toPem(backend.ca.chainDer[0], "CERTIFICATE"));
  return { dir, backend, caPath };
}

/** An OCSP request from openssl for `serials` of the CA in `caPath`. */
async function request(dir: string, caPath: string, serials: string[]): Promise<Uint8Array<ArrayBuffer>> {
  const out = join(dir, `${crypto.randomUUID()}.req`);
  await runOk("openssl", [
    "ocsp",
    "-issuer",
    caPath,
    ...serials.flatMap((s) => ["-serial", s]),
    "-reqout",
    out,
  ]);
  return await Deno.readFile(out) as Uint8Array<ArrayBuffer>;
}

Deno.test("ocsp responder: too many certificates in one request is malformed", async () => {
  const { dir, backend, caPath } = await setUp();
  const responder = new OcspResponder(
    backend.ca,
    backend.store,
    () => Promise.resolve(caSigningIdentity(backend.ca)),
    60_000,
  );
  const many = Array.from({ length: 17 }, (_, i) => `0x${(i + 1).toString(16)}`);
  assert.equal(
    (await responder.respond(await request(dir, caPath, many))).status,
    OCSP_STATUS.malformedRequest,
  );
  const sixteen = await responder.respond(await request(dir, caPath, many.slice(0, 16)));
  assert.equal(sixteen.status, OCSP_STATUS.successful);
  assert.equal(sixteen.cacheable, false, "openssl sent a nonce");
  assert.equal((await responder.respond(new Uint8Array(0))).status, OCSP_STATUS.malformedRequest);
  await backend.close();
});

Deno.test("ocsp responder: a store that does not answer gives tryLater; no signer, internalError", async () => {
  const { dir, backend, caPath } = await setUp();
  const req = await request(dir, caPath, ["0x4a"]);
  const noSigner = new OcspResponder(
    backend.ca,
    backend.store,
    () => Promise.reject(new Error("no key")),
    60_000,
  );
  assert.equal((await noSigner.respond(req)).status, OCSP_STATUS.internalError);
  await backend.close();
  const closed = new OcspResponder(
    backend.ca,
    backend.store,
    () => Promise.resolve(caSigningIdentity(backend.ca)),
    60_000,
  );
  const answer = await closed.respond(req);
  assert.equal(answer.status, OCSP_STATUS.tryLater);
  assert.equal(answer.cacheable, false);
});

Deno.test("ocsp responder: an RSA CA's delegated signer has an RSA key, and openssl verifies its answer", async () => {
  const dir = await tempDir({ prefix: "est-ocsp-rsa-" });
  const config = loadConfig(dir);
  const backend = await LocalCaBackend.open(
    { ...config.backend as LocalCaConfig, keyType: "RSA-2048" },
    config.server.state_dir,
  );
  const caPath = join(dir, "ca.pem");
  await Deno.writeTextFile(caPath, toPem(backend.ca.chainDer[0], "CERTIFICATE"));
  const delegated = new DelegatedOcspSigner(
    backend.ca,
    (key, subject, purpose) => backend.issueOwn(key, subject, purpose),
  );
  const responder = new OcspResponder(backend.ca, backend.store, () => delegated.identity(), 60_000);
  const answer = await responder.respond(await request(dir, caPath, ["0x4a"]));
  assert.equal(answer.status, OCSP_STATUS.successful);
  const responsePath = join(dir, "response.der");
  await Deno.writeFile(responsePath, answer.der);
  const { text, stderr: verdict } = await runOk("openssl", [
    "ocsp",
    "-respin",
    responsePath,
    "-CAfile",
    caPath,
    "-issuer",
    caPath,
    "-serial",
    "0x4a",
    "-no_nonce",
    "-resp_text",
  ]);
  assert.match(verdict, /Response verify OK/);
  assert.match(text, /0x4a: unknown|Cert Status: unknown/);
  const [signerDer] = (await delegated.identity()).certs;
  const { text: signerText } = await runOk(
    "openssl",
    ["x509", "-inform", "DER", "-noout", "-text"],
    signerDer,
  );
  assert.match(signerText, /Public Key Algorithm: rsaEncryption/);
  assert.match(signerText, /Signature Algorithm: sha256WithRSAEncryption/);
  assert.match(signerText, /OCSP Signing/);
  await backend.close();
});
