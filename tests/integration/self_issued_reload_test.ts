import "reflect-metadata";
import assert from "node:assert/strict";
import type { LocalCaBackend } from "../../src/backend/local_ca/local_ca_backend.ts";
import { startTestServer } from "../support/server.ts";
import { run, runOk } from "../support/tools.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function servedSerial(port: number): Promise<string> {
  const shown = await run("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-showcerts"], "");
  const pem = shown.text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0];
  return (await runOk("openssl", ["x509", "-noout", "-serial"], pem)).text.trim();
}

Deno.test(
  "self-issued certificate: a reload after a renewal keeps serving the renewed one",
  opts,
  async () => {
    const srv = await startTestServer();
    try {
      const first = await servedSerial(srv.port);
      const ca = srv.server.backend as LocalCaBackend;
      const renewed = await ca.issueServerTls(["localhost"], ["127.0.0.1"], 90);
      srv.server.useSelfIssued({ certPem: renewed.certPem, keyPem: renewed.keyPem });
      const afterRenewal = await servedSerial(srv.port);
      assert.notEqual(afterRenewal, first);
      assert.ok(await srv.server.reload());
      assert.equal(
        await servedSerial(srv.port),
        afterRenewal,
        "the reload does not bring the first certificate back",
      );
    } finally {
      await srv.close();
    }
  },
);
