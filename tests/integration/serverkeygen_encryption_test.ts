import "reflect-metadata";
import assert from "node:assert/strict";
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import { curl, type CurlResponse } from "../support/curl.ts";
import { boundaryOf, parseMultipart } from "../support/multipart.ts";
import { type KeySpec, makeCsr, writeTemp } from "../support/pki.ts";
import { ALICE, certsFromPkcs7Base64, startTestServer, type TestServer } from "../support/server.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-keygen-enc-" });
const PKCS10 = { "Content-Type": "application/pkcs10" };
const DECRYPT_KEY_ID = "1.2.840.113549.1.9.16.2.37";
const ASYMMETRIC_DECRYPT_KEY_ID = "1.2.840.113549.1.9.16.2.54";

/** A client certificate for CN=alice from the server's CA (simpleenroll with Basic), and its key. */
async function aliceCertificate(
  srv: TestServer,
  key: KeySpec,
): Promise<{ certPath: string; keyPath: string }> {
  const { csrDer, keyPath } = await makeCsr(tmp, "/CN=alice", { key });
  const res = await curl(`${srv.base}/simpleenroll`, {
    cacert: srv.caPath,
    user: ALICE.user,
    body: csrDer.toBase64(),
    headers: PKCS10,
  });
  assert.equal(res.status, 200, res.text);
  const certPath = await writeTemp(tmp, `${crypto.randomUUID()}.pem`, await certsFromPkcs7Base64(res.text));
  return { certPath, keyPath };
}

/** A CSR for CN=alice carrying `attribute` with an OCTET STRING key identifier. */
async function csrWithKeyId(attribute: string, keyId: Uint8Array<ArrayBuffer>): Promise<string> {
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: "CN=alice",
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } as EcdsaParams,
    attributes: [new x509.Attribute(attribute, [new asn1js.OctetString({ valueHex: keyId }).toBER(false)])],
  });
  return new Uint8Array(csr.rawData).toBase64();
}

async function skiOf(certPath: string): Promise<Uint8Array<ArrayBuffer>> {
  const cert = new x509.X509Certificate(await Deno.readTextFile(certPath));
  return Uint8Array.fromHex(cert.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId);
}

function serverKeyGen(
  srv: TestServer,
  body: string,
  auth: Parameters<typeof curl>[1],
): Promise<CurlResponse> {
  return curl(`${srv.base}/serverkeygen`, { cacert: srv.caPath, body, headers: PKCS10, ...auth });
}

for (const key of ["ec:P-256", "rsa:2048"] as const) {
  Deno.test(
    `serverkeygen: AsymmetricDecryptKeyIdentifier returns the key enveloped to a ${key} TLS certificate`,
    opts,
    async () => {
      const srv = await startTestServer();
      try {
        const client = await aliceCertificate(srv, key);
        const body = await csrWithKeyId(ASYMMETRIC_DECRYPT_KEY_ID, await skiOf(client.certPath));
        const res = await serverKeyGen(srv, body, { cert: client.certPath, key: client.keyPath });
        assert.equal(res.status, 200, res.text);
        const [keyPart, certPart] = parseMultipart(res.text, boundaryOf(res.headers.get("content-type")));
        assert.equal(
          keyPart.headers.get("content-type"),
          "application/pkcs7-mime; smime-type=server-generated-key",
        );
        assert.equal(keyPart.headers.get("content-transfer-encoding"), "base64");
        const envelope = Uint8Array.fromBase64(keyPart.body.replace(/\s+/g, ""));
        const decrypted = await runOk("openssl", [
          "cms",
          "-decrypt",
          "-inform",
          "DER",
          "-recip",
          client.certPath,
          "-inkey",
          client.keyPath,
          "-binary",
        ], envelope);
        // An AsymmetricKeyPackage: a SEQUENCE holding the PKCS#8 key.
        const keyPackage = asn1js.fromBER(decrypted.stdout).result as asn1js.Sequence;
        const pkcs8 = new Uint8Array(keyPackage.valueBlock.value[0].toBER(false));
        const keyPublic = await runOk("openssl", ["pkey", "-inform", "DER", "-pubout"], pkcs8);
        const certPath = await writeTemp(
          tmp,
          `${crypto.randomUUID()}.pem`,
          await certsFromPkcs7Base64(certPart.body),
        );
        const certPublic = await runOk("openssl", ["x509", "-in", certPath, "-noout", "-pubkey"]);
        assert.equal(keyPublic.text, certPublic.text);
        const envelopeText =
          (await runOk("openssl", ["cms", "-cmsout", "-print", "-inform", "DER"], envelope)).text;
        assert.match(envelopeText, /contentType: .*\(2\.16\.840\.1\.101\.2\.1\.2\.78\.5\)/);
      } finally {
        await srv.close();
      }
    },
  );
}

Deno.test(
  "serverkeygen: key encryption that cannot be honoured is refused, nothing issued",
  opts,
  async () => {
    const srv = await startTestServer();
    try {
      const client = await aliceCertificate(srv, "ec:P-256");
      const before = await srv.issuedCount();
      const symmetric = await serverKeyGen(
        srv,
        await csrWithKeyId(DECRYPT_KEY_ID, new Uint8Array([1, 2, 3])),
        {
          user: ALICE.user,
        },
      );
      assert.equal(symmetric.status, 501, symmetric.text);
      assert.match(symmetric.text, /DecryptKeyIdentifier.*no shared keys/);
      const otherKey = await csrWithKeyId(ASYMMETRIC_DECRYPT_KEY_ID, new Uint8Array(20));
      const wrongId = await serverKeyGen(srv, otherKey, { cert: client.certPath, key: client.keyPath });
      assert.equal(wrongId.status, 400, wrongId.text);
      assert.match(wrongId.text, /does not name the TLS client certificate/);
      const noCert = await serverKeyGen(srv, otherKey, { user: ALICE.user });
      assert.equal(noCert.status, 400, noCert.text);
      assert.match(noCert.text, /authenticate with that TLS client certificate/);
      assert.equal(await srv.issuedCount(), before);
    } finally {
      await srv.close();
    }
  },
);
