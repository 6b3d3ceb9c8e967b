import assert from "node:assert/strict";
import { curl } from "../support/curl.ts";
import { makeCsr } from "../support/pki.ts";
import { ALICE, certsFromPkcs7Base64, startTestServer } from "../support/server.ts";
import { runOk } from "../support/tools.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await Deno.makeTempDir({ prefix: "est-provider-" });

for (const provider of ["openssl", "webcrypto"]) {
  for (const keyType of ["P-256", "RSA-2048"]) {
    Deno.test(
      `crypto provider ${provider}: a ${keyType} local CA issues what openssl verifies`,
      opts,
      async () => {
        const srv = await startTestServer({
          crypto: { provider },
          backend: { class: "local-ca", keyType },
          authorizer: null,
        });
        try {
          for (const key of ["ec:P-256", "rsa:2048", "ed25519"] as const) {
            const { csrDer } = await makeCsr(tmp, "/CN=alice", { key });
            const response = await curl(`${srv.base}/simpleenroll`, {
              cacert: srv.caPath,
              user: ALICE.user,
              body: csrDer.toBase64(),
              headers: { "Content-Type": "application/pkcs10" },
            });
            assert.equal(response.status, 200, `${key}: ${response.text}`);
            const leaf = `${tmp}/${crypto.randomUUID()}.pem`;
            await Deno.writeTextFile(leaf, await certsFromPkcs7Base64(response.text));
            await runOk("openssl", ["verify", "-CAfile", srv.caPath, leaf]);
          }
          const corrupted = (await makeCsr(tmp, "/CN=alice")).csrDer;
          corrupted[corrupted.length - 5] ^= 1;
          const refused = await curl(`${srv.base}/simpleenroll`, {
            cacert: srv.caPath,
            user: ALICE.user,
            body: corrupted.toBase64(),
            headers: { "Content-Type": "application/pkcs10" },
          });
          assert.equal(refused.status, 400);
          assert.equal(await srv.issuedCount(), 4); // the server's TLS certificate and three leaves
        } finally {
          await srv.close();
        }
      },
    );
  }
}
