import assert from "node:assert/strict";
import { curl } from "../support/curl.ts";
import { issuingLoop } from "../support/hostile_chains.ts";
import { makeCsr } from "../support/pki.ts";
import { ALICE, startTestServer } from "../support/server.ts";
import { tempDir } from "../support/temp.ts";
import { run } from "../support/tools.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-hostile-chain-" });
const PKCS10 = { "Content-Type": "application/pkcs10" };

Deno.test(
  "hostile chain: certificates that issue each other, or a huge chain, get 401/403 and nothing is issued",
  opts,
  async () => {
    const srv = await startTestServer();
    try {
      const { csrDer } = await makeCsr(tmp, "/CN=alice");
      const before = srv.issuedCount();
      for (const repeat of [1, 20]) {
        const loop = await issuingLoop(tmp, `tls${repeat}`, repeat);
        const who = { cacert: srv.caPath, cert: loop.chainPath, key: loop.keyPath };
        const enroll = await curl(`${srv.base}/simpleenroll`, {
          ...who,
          user: ALICE.user,
          body: csrDer.toBase64(),
          headers: PKCS10,
        });
        assert.equal(enroll.status, 401, `${repeat}: ${enroll.text}`);
        const renew = await curl(`${srv.base}/simplereenroll`, {
          ...who,
          body: csrDer.toBase64(),
          headers: PKCS10,
        });
        assert.equal(renew.status, 403, `${repeat}: ${renew.text}`);
        assert.match(renew.text, /not issued by a trusted CA|too large|took too long/);
        assert.equal((await curl(`${srv.base}/cacerts`, { cacert: srv.caPath })).status, 200);
      }
      // 400 certificates (about 200 KB): the TLS layer refuses a Certificate message that large.
      const huge = await issuingLoop(tmp, "huge", 200);
      const res = await run("curl", [
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--cacert",
        srv.caPath,
        "--cert",
        huge.chainPath,
        "--key",
        huge.keyPath,
        `${srv.base}/simplereenroll`,
      ]);
      assert.ok(res.code !== 0 || ["401", "403"].includes(res.text), `${res.code} ${res.text}`);
      assert.equal((await curl(`${srv.base}/cacerts`, { cacert: srv.caPath })).status, 200);
      assert.equal(srv.issuedCount(), before, "nothing was issued");
    } finally {
      await srv.close();
    }
  },
);
