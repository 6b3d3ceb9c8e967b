import assert from "node:assert/strict";
import { curl, type CurlResponse } from "../support/curl.ts";
import { boundaryOf, type ParsedPart, parseMultipart } from "../support/multipart.ts";
import { type KeySpec, makeCsr, writeTemp } from "../support/pki.ts";
import { ALICE, certsFromPkcs7Base64, startTestServer, type TestServer } from "../support/server.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-keygen-" });
const PKCS10 = { "Content-Type": "application/pkcs10" };

/** POSTs a CSR to serverkeygen (under `label` when given) as alice. */
function serverKeyGen(
  srv: TestServer,
  body: string | Uint8Array<ArrayBuffer>,
  options: { label?: string; more?: Parameters<typeof curl>[1] } = {},
): Promise<CurlResponse> {
  const base = options.label === undefined ? srv.base : `${srv.base}/${options.label}`;
  return curl(`${base}/serverkeygen`, {
    cacert: srv.caPath,
    user: ALICE.user,
    body,
    headers: PKCS10,
    ...options.more,
  });
}

/** A 200 serverkeygen answer: the key part (first) and the certificate part, parsed with a multipart parser. */
function partsOf(res: CurlResponse): [ParsedPart, ParsedPart] {
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get("content-length"), String(res.body.byteLength));
  const parts = parseMultipart(res.text, boundaryOf(res.headers.get("content-type")));
  assert.equal(parts.length, 2);
  for (const part of parts) assert.equal(part.headers.get("content-transfer-encoding"), "base64");
  assert.equal(parts[1].headers.get("content-type"), "application/pkcs7-mime; smime-type=certs-only");
  return [parts[0], parts[1]];
}

/**
 * Checks with openssl that the PKCS#8 key part and the certificate belong
 * together and that the certificate verifies; returns the certificate's text.
 */
async function keyMatchesCertificate(srv: TestServer, res: CurlResponse): Promise<string> {
  const [keyPart, certPart] = partsOf(res);
  assert.equal(keyPart.headers.get("content-type"), "application/pkcs8");
  const keyDer = Uint8Array.fromBase64(keyPart.body.replace(/\s+/g, ""));
  const keyPublic = await runOk("openssl", ["pkey", "-inform", "DER", "-pubout"], keyDer);
  const certPem = await certsFromPkcs7Base64(certPart.body);
  const certPath = await writeTemp(tmp, `${crypto.randomUUID()}.pem`, certPem);
  const certPublic = await runOk("openssl", ["x509", "-in", certPath, "-noout", "-pubkey"]);
  assert.equal(keyPublic.text, certPublic.text, "the returned key is the certificate's");
  assert.match((await runOk("openssl", ["verify", "-CAfile", srv.caPath, certPath])).text, /: OK/);
  return (await runOk("openssl", ["x509", "-in", certPath, "-noout", "-text"])).text;
}

Deno.test("serverkeygen: a generated key and its certificate, as openssl reads them", opts, async () => {
  const srv = await startTestServer({ authorizer: { enrollMatchTLSSubjSAN: false } });
  try {
    const { csrDer } = await makeCsr(tmp, "/CN=alice", { san: "DNS:alice.example" });
    const res = await serverKeyGen(srv, csrDer.toBase64());
    const text = await keyMatchesCertificate(srv, res);
    assert.match(text, /Subject: CN ?= ?alice/);
    assert.match(text, /DNS:alice\.example/);
    assert.match(text, /NIST CURVE: P-256/, "the key type of the CSR");
    // The key differs from the CSR's: the server made it.
    const [keyPart] = partsOf(res);
    const again = partsOf(await serverKeyGen(srv, csrDer.toBase64()))[0];
    assert.notEqual(keyPart.body, again.body);
  } finally {
    await srv.close();
  }
});

Deno.test(
  "serverkeygen: the key type follows the CSR, the label's csrattrs, or the label's key type",
  opts,
  async () => {
    const srv = await startTestServer({
      labels: {
        p384: { csrattrs: ["ecPublicKey=secp384r1"] },
        rsa: { server_key_type: "RSA-3072", validity_days: 3 },
      },
    });
    try {
      const cases: [KeySpec, string | undefined, RegExp][] = [
        ["rsa:2048", undefined, /Public-Key: \(2048 bit\)/],
        ["ec:P-384", undefined, /NIST CURVE: P-384/],
        ["ec:P-256", "p384", /NIST CURVE: P-384/],
        ["ec:P-256", "rsa", /Public-Key: \(3072 bit\)/],
      ];
      for (const [key, label, expected] of cases) {
        const { csrDer } = await makeCsr(tmp, "/CN=alice", { key });
        const text = await keyMatchesCertificate(srv, await serverKeyGen(srv, csrDer.toBase64(), { label }));
        assert.match(text, expected, `${key} ${label}`);
      }
    } finally {
      await srv.close();
    }
  },
);

Deno.test("serverkeygen: hostile input is refused and nothing is issued", opts, async () => {
  const srv = await startTestServer({ server: { max_body_bytes: 2048 } });
  try {
    const { csrDer } = await makeCsr(tmp, "/CN=alice");
    const before = await srv.issuedCount();
    const corrupted = csrDer.slice();
    corrupted[corrupted.length - 5] ^= 0xff;
    const cases: [string, Promise<CurlResponse>, number, RegExp][] = [
      ["bad base64", serverKeyGen(srv, "not base64 at all!"), 400, /base64/],
      ["truncated DER", serverKeyGen(srv, csrDer.slice(0, 40)), 400, /Invalid CSR/],
      ["bad signature", serverKeyGen(srv, corrupted), 400, /signature|Invalid CSR/],
      [
        "wrong media type",
        serverKeyGen(srv, csrDer.toBase64(), {
          more: { headers: { "Content-Type": "application/json" } },
        }),
        415,
        /application\/pkcs10/,
      ],
      ["oversized", serverKeyGen(srv, "A".repeat(4096)), 413, /limit/],
      [
        "no credentials",
        curl(`${srv.base}/serverkeygen`, {
          cacert: srv.caPath,
          body: csrDer.toBase64(),
          headers: PKCS10,
        }),
        401,
        /Authentication required/,
      ],
      [
        "wrong password",
        serverKeyGen(srv, csrDer.toBase64(), { more: { user: "alice:wrong" } }),
        401,
        /Invalid/,
      ],
      [
        "someone else's subject",
        serverKeyGen(srv, (await makeCsr(tmp, "/CN=mallory")).csrDer.toBase64()),
        403,
        /./,
      ],
      ["unknown label", serverKeyGen(srv, csrDer.toBase64(), { label: "nope" }), 404, /label/],
      ["GET", curl(`${srv.base}/serverkeygen`, { cacert: srv.caPath, user: ALICE.user }), 405, /./],
    ];
    for (const [name, pending, status, message] of cases) {
      const res = await pending;
      assert.equal(res.status, status, `${name}: ${res.text}`);
      assert.match(res.text, message, name);
      assert.doesNotMatch(res.text, /PRIVATE KEY|multipart/i, name);
    }
    assert.equal(await srv.issuedCount(), before, "nothing issued");
  } finally {
    await srv.close();
  }
});
