import assert from "node:assert/strict";
import { join } from "node:path";
import { curl, hasHeaderSpelled } from "../support/curl.ts";
import { makeCsr, writeTemp } from "../support/pki.ts";
import { ALICE, certsFromPkcs7Base64, startTestServer } from "../support/server.ts";
import { runOk } from "../support/tools.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("cacerts returns the CA chain as certs-only PKCS#7 that openssl reads", opts, async () => {
  const srv = await startTestServer();
  try {
    const res = await curl(`${srv.base}/cacerts`, { cacert: srv.caPath });
    assert.equal(res.status, 200);
    assert.ok(hasHeaderSpelled(res, "Content-Type"));
    assert.equal(res.headers.get("content-type"), "application/pkcs7-mime");
    assert.equal(res.headers.get("content-transfer-encoding"), "base64");
    assert.equal(res.headers.get("content-length"), String(res.body.byteLength));
    assert.match(res.text, /^[A-Za-z0-9+/=]+\n$/);
    const certs = await certsFromPkcs7Base64(res.text);
    assert.ok(certs.includes("subject=CN = EST Local CA"), certs);
  } finally {
    await srv.close();
  }
});

Deno.test("simpleenroll issues a certificate that openssl verifies against cacerts", opts, async () => {
  const srv = await startTestServer();
  const tmp = await Deno.makeTempDir();
  try {
    const cacerts = await curl(`${srv.base}/cacerts`, { cacert: srv.caPath });
    const chainPath = await writeTemp(tmp, "chain.pem", await certsFromPkcs7Base64(cacerts.text));
    const { csrDer } = await makeCsr(tmp, "/CN=Administrator");
    const res = await curl(`${srv.base}/simpleenroll`, {
      cacert: chainPath,
      user: ALICE.user,
      body: csrDer.toBase64(),
      headers: { "Content-Type": "application/pkcs10" },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get("content-type"), "application/pkcs7-mime; smime-type=certs-only");
    const leafPath = await writeTemp(tmp, "leaf.pem", await certsFromPkcs7Base64(res.text));
    const verify = await runOk("openssl", ["verify", "-CAfile", chainPath, leafPath]);
    assert.ok(verify.text.includes("OK"), verify.text);
    const subject = await runOk("openssl", ["x509", "-in", leafPath, "-noout", "-subject"]);
    assert.equal(subject.text.trim(), "subject=CN = Administrator");
  } finally {
    await srv.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
