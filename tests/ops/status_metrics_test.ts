import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { connect, type PeerCertificate } from "node:tls";
import * as x509 from "@peculiar/x509";
import { scrape } from "../support/metrics.ts";
import { makeSelfSigned } from "../support/pki.ts";
import { startTestServer } from "../support/server.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

function servedCertificate(port: number): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.once("error", reject);
  });
}

Deno.test(
  "status metrics: certificate expiry and dependency gauges follow the running server",
  opts,
  async () => {
    const dir = await tempDir({ prefix: "est-status-" });
    const authz = join(dir, "authz.sh");
    await Deno.writeTextFile(authz, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const srv = await startTestServer({ authorizer: { class: "external-process", executable: authz } });
    try {
      const port = srv.server.metricsPort!;
      const up = await scrape(port);
      const served = await servedCertificate(srv.port);
      assert.equal(up.get("est_tls_certificate_not_after_seconds"), Date.parse(served.valid_to) / 1000);
      const ca = new x509.X509Certificate(await Deno.readTextFile(srv.caPath));
      assert.equal(up.get("est_ca_certificate_not_after_seconds"), ca.notAfter.getTime() / 1000);
      for (const dependency of ["backend", "realm", "authorizer"]) {
        assert.equal(up.get(`est_dependency_up{dependency="${dependency}"}`), 1, dependency);
      }

      await Deno.remove(authz);
      const down = await scrape(port);
      assert.equal(down.get('est_dependency_up{dependency="authorizer"}'), 0);
      assert.equal(down.get('est_dependency_up{dependency="backend"}'), 1);
    } finally {
      await srv.close();
    }
  },
);

Deno.test("status metrics: a server without a realm reports the absent realm as up", opts, async () => {
  const srv = await startTestServer({ realm: null, authorizer: null });
  try {
    const m = await scrape(srv.server.metricsPort!);
    assert.equal(m.get('est_dependency_up{dependency="realm"}'), 1);
    assert.equal(m.get('est_dependency_up{dependency="authorizer"}'), 1);
  } finally {
    await srv.close();
  }
});

Deno.test(
  "status metrics: the TLS expiry follows an operator's certificate across a reload",
  opts,
  async () => {
    const dir = await tempDir({ prefix: "est-status-" });
    const first = await makeSelfSigned(dir, "/CN=localhost", ["subjectAltName=IP:127.0.0.1"]);
    const tlsCert = join(dir, "tls.crt");
    const tlsKey = join(dir, "tls.key");
    await Deno.copyFile(first.certPath, tlsCert);
    await Deno.copyFile(first.keyPath, tlsKey);
    const srv = await startTestServer({ server: { tls_cert: tlsCert, tls_key: tlsKey } });
    try {
      const notAfter = async () =>
        (await scrape(srv.server.metricsPort!)).get("est_tls_certificate_not_after_seconds");
      const expiry = (pem: string) => new x509.X509Certificate(pem).notAfter.getTime() / 1000;
      assert.equal(await notAfter(), expiry(await Deno.readTextFile(first.certPath)));

      await new Promise((r) => setTimeout(r, 1100)); // a later second, so a later notAfter
      const next = await makeSelfSigned(dir, "/CN=localhost", ["subjectAltName=IP:127.0.0.1"]);
      await Deno.copyFile(next.certPath, tlsCert);
      await Deno.copyFile(next.keyPath, tlsKey);
      assert.equal(await srv.server.reload(), true);
      const reloaded = await notAfter();
      assert.equal(reloaded, expiry(await Deno.readTextFile(next.certPath)));
      assert.ok(reloaded! > expiry(await Deno.readTextFile(first.certPath)));
    } finally {
      await srv.close();
    }
  },
);
