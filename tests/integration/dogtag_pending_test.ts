import assert from "node:assert/strict";
import { curl, type CurlResponse } from "../support/curl.ts";
import { startDogtagPair } from "../support/dogtag.ts";
import { boundaryOf, parseMultipart } from "../support/multipart.ts";
import { makeCsr, writeTemp } from "../support/pki.ts";
import { ALICE, certsFromPkcs7Base64, type TestServer } from "../support/server.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

/**
 * The DogtagRABackend with autoApprove=false in front of a CA whose requests
 * wait for its agents: 202 until an agent decides, then the certificate or
 * 403; and /serverkeygen through the CA's enrollment profile.
 */

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-dogtag-pending-" });

function post(srv: TestServer, operation: string, csr: Uint8Array<ArrayBuffer>): Promise<CurlResponse> {
  return curl(`${srv.base}/${operation}`, {
    cacert: srv.caPath,
    user: ALICE.user,
    headers: { "Content-Type": "application/pkcs10" },
    body: csr.toBase64(),
  });
}

Deno.test("dogtag pending: 202 while the CA's agents decide, then the certificate or 403", opts, async () => {
  const { ca, srv, close } = await startDogtagPair({ approval: "agent" }, { autoApprove: "false" });
  try {
    const { csrDer } = await makeCsr(tmp, "/CN=Administrator");
    const first = await post(srv, "simpleenroll", csrDer);
    assert.equal(first.status, 202, first.text);
    assert.equal(first.headers.get("retry-after"), "60");
    const [caRequest] = ca.pendingRequestIds();
    assert.match(first.text, new RegExp(`waiting for the CA \\(its request ${caRequest}\\)`));
    assert.equal(ca.requests.filter((r) => r.path.includes("/agent/")).length, 0, "the RA does not approve");
    const stillPending = await post(srv, "simpleenroll", csrDer);
    assert.equal(stillPending.status, 202);
    assert.ok(ca.requests.some((r) => r.method === "GET" && r.path === `/ca/v2/certrequests/${caRequest}`));
    assert.equal(ca.submissions.length, 1, "a retry asks about the request; it does not submit again");

    await ca.settle(caRequest, "approve");
    const issued = await post(srv, "simpleenroll", csrDer);
    assert.equal(issued.status, 200, issued.text);
    const leaf = await writeTemp(tmp, "leaf.pem", await certsFromPkcs7Base64(issued.text));
    assert.match((await runOk("openssl", ["verify", "-CAfile", srv.caPath, leaf])).text, /: OK/);

    const other = (await makeCsr(tmp, "/CN=Administrator")).csrDer;
    assert.equal((await post(srv, "simpleenroll", other)).status, 202);
    await ca.settle(ca.pendingRequestIds()[0], "reject", "Not on the device list");
    for (const attempt of [1, 2]) {
      const refused = await post(srv, "simpleenroll", other);
      assert.equal(refused.status, 403, `${attempt}: ${refused.text}`);
      assert.match(refused.text, /rejected.*Not on the device list/);
    }

    const keygen = await post(srv, "serverkeygen", (await makeCsr(tmp, "/CN=Administrator")).csrDer);
    assert.equal(keygen.status, 501, keygen.text);
    assert.match(keygen.text, /cannot wait for it/);
  } finally {
    await close();
  }
});

Deno.test(
  "dogtag serverkeygen: the CA certifies the generated key, submitted with the client's subject",
  opts,
  async () => {
    const { ca, srv, close } = await startDogtagPair();
    try {
      const { csrDer } = await makeCsr(tmp, "/CN=Administrator");
      const res = await post(srv, "serverkeygen", csrDer);
      assert.equal(res.status, 200, res.text);
      const [keyPart, certPart] = parseMultipart(res.text, boundaryOf(res.headers.get("content-type")));
      assert.equal(keyPart.headers.get("content-type"), "application/pkcs8");
      const keyDer = Uint8Array.fromBase64(keyPart.body.replace(/\s+/g, ""));
      const keyPublic = await runOk("openssl", ["pkey", "-inform", "DER", "-pubout"], keyDer);
      const certPath = await writeTemp(tmp, "keygen.pem", await certsFromPkcs7Base64(certPart.body));
      const certPublic = await runOk("openssl", ["x509", "-in", certPath, "-noout", "-pubkey"]);
      assert.equal(keyPublic.text, certPublic.text);
      const submitted = Uint8Array.fromBase64(ca.submissions.at(-1)!.inputs.cert_request);
      assert.notDeepEqual(submitted, csrDer, "the CA got a CSR for the generated key");
      const subject = await runOk("openssl", ["req", "-inform", "DER", "-noout", "-subject"], submitted);
      assert.match(subject.text, /CN ?= ?Administrator/);
    } finally {
      await close();
    }
  },
);
