import assert from "node:assert/strict";
import { join } from "node:path";
import { curl, type CurlResponse } from "../support/curl.ts";
import { makeCsr, writeTemp } from "../support/pki.ts";
import { ALICE, startTestServer, type TestServer } from "../support/server.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-csrattrs-" });
const ADVERTISED = [
  "challengePassword",
  "ecPublicKey=secp384r1",
  "ecdsaWithSHA384",
  "extensionRequest=subjectAltName",
  "serialNumber",
];

/** A CSR with everything ADVERTISED asks for: P-384, ECDSA-SHA384, challengePassword, SAN, serialNumber. */
async function conformingCsr(): Promise<Uint8Array<ArrayBuffer>> {
  const config = await writeTemp(
    tmp,
    `${crypto.randomUUID()}.cnf`,
    "[req]\ndistinguished_name = dn\nattributes = attrs\nprompt = no\n" +
      "[dn]\nCN = alice\nserialNumber = 1234\n[attrs]\nchallengePassword = s3cret-otp\n",
  );
  const args = [
    "req",
    "-new",
    "-nodes",
    "-config",
    config,
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-384",
  ];
  args.push(
    "-keyout",
    join(tmp, `${crypto.randomUUID()}.key`),
    "-sha384",
    "-addext",
    "subjectAltName=DNS:alice",
  );
  args.push("-outform", "DER");
  return (await runOk("openssl", args)).stdout;
}

function post(srv: TestServer, path: string, csr: Uint8Array<ArrayBuffer>): Promise<CurlResponse> {
  return curl(`${srv.base}/${path}`, {
    cacert: srv.caPath,
    user: ALICE.user,
    headers: { "Content-Type": "application/pkcs10" },
    body: csr.toBase64(),
  });
}

Deno.test(
  "csrattrs enforcement: a label refuses CSRs that lack what it advertises, naming each",
  opts,
  async () => {
    const srv = await startTestServer({
      authorizer: { enrollMatchTLSSubjSAN: false },
      labels: {
        strict: { csrattrs: ADVERTISED, enforce_csrattrs: true },
        advisory: { csrattrs: ADVERTISED },
      },
    });
    try {
      const plain = (await makeCsr(tmp, "/CN=alice")).csrDer;
      const before = await srv.issuedCount();
      for (const operation of ["simpleenroll", "serverkeygen"]) {
        const refused = await post(srv, `strict/${operation}`, plain);
        assert.equal(refused.status, 400, refused.text);
        assert.match(refused.text, /^The CSR lacks what \/csrattrs asks for: /);
        for (const missing of ["challengePassword", "the extension subjectAltName", "serialNumber"]) {
          assert.ok(refused.text.includes(missing), `${operation} names ${missing}: ${refused.text}`);
        }
        const keyAndSignature =
          /a key of type ecPublicKey secp384r1 \(the CSR has EC P-256\).*a signature with ecdsaWithSHA384 \(the CSR's is ecdsaWithSHA256\)/;
        if (operation === "simpleenroll") assert.match(refused.text, keyAndSignature);
        else assert.doesNotMatch(refused.text, /a key of type|a signature with/, "the server makes the key");
      }
      assert.equal(await srv.issuedCount(), before, "nothing issued");
      const good = await conformingCsr();
      assert.equal((await post(srv, "strict/simpleenroll", good)).status, 200);
      assert.equal((await post(srv, "strict/serverkeygen", good)).status, 200);
      // Enforcement is opt-in: the same CSR passes where the label only advertises, and without a label.
      assert.equal((await post(srv, "advisory/simpleenroll", plain)).status, 200);
      assert.equal((await post(srv, "simpleenroll", plain)).status, 200);
    } finally {
      await srv.close();
    }
  },
);

Deno.test("csrattrs enforcement: a label enforcing the server's advertised attributes", opts, async () => {
  const srv = await startTestServer({
    authorizer: { enrollMatchTLSSubjSAN: false },
    est: { csrattrs: ["rsaEncryption", "extensionRequest"] },
    labels: { strict: { enforce_csrattrs: true } },
  });
  try {
    const ec = await post(srv, "strict/simpleenroll", (await makeCsr(tmp, "/CN=alice")).csrDer);
    assert.equal(ec.status, 400);
    assert.match(
      ec.text,
      /a key of type rsaEncryption \(the CSR has EC P-256\); an extensionRequest attribute/,
    );
    const rsa = (await makeCsr(tmp, "/CN=alice", { key: "rsa:2048", san: "DNS:alice" })).csrDer;
    assert.equal((await post(srv, "strict/simpleenroll", rsa)).status, 200);
  } finally {
    await srv.close();
  }
});
