import assert from "node:assert/strict";
import { enrollWithPassword } from "../support/client_certs.ts";
import { curl } from "../support/curl.ts";
import { issueFromCa, makeCsr, makeOpensslCa, makeSelfSigned, writeTemp } from "../support/pki.ts";
import { ALICE, certsFromPkcs7Base64, startTestServer, type TestServer } from "../support/server.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-certauth-" });
const PKCS10 = { "Content-Type": "application/pkcs10" };

interface Who {
  certPath?: string;
  keyPath?: string;
  user?: string;
}

async function enroll(srv: TestServer, path: string, subject: string, who: Who, san?: string) {
  const { csrDer } = await makeCsr(tmp, subject, { san });
  return await curl(`${srv.base}/${path}`, {
    cacert: srv.caPath,
    cert: who.certPath,
    key: who.keyPath,
    user: who.user,
    body: csrDer.toBase64(),
    headers: PKCS10,
  });
}

Deno.test(
  "cert auth: simpleenroll with a client certificate; the CSR must carry its subject",
  opts,
  async () => {
    const srv = await startTestServer();
    try {
      const device = await enrollWithPassword(srv, tmp, "/CN=alice", { san: "DNS:alice" });
      const ok = await enroll(srv, "simpleenroll", "/CN=alice", device, "DNS:alice");
      assert.equal(ok.status, 200, ok.text);
      const leaf = await writeTemp(tmp, "by-cert.pem", await certsFromPkcs7Base64(ok.text));
      await runOk("openssl", ["verify", "-CAfile", srv.caPath, leaf]);
      assert.equal(
        (await enroll(srv, "simpleenroll", "/CN=alice", device)).status,
        200,
        "the SAN may be left out",
      );
      const other = await enroll(srv, "simpleenroll", "/CN=bob", device);
      assert.equal(other.status, 403);
      assert.equal(other.text, "CSR subject does not match user certificate.\n");
      const san = await enroll(srv, "simpleenroll", "/CN=alice", device, "DNS:bob");
      assert.equal(san.text, "SAN extensions of user certificate and CSR are not identical.\n");
    } finally {
      await srv.close();
    }
  },
);

Deno.test(
  "cert auth: a presented certificate excludes Basic (Dogtag), unless the label says either may pass",
  opts,
  async () => {
    const srv = await startTestServer({
      labels: {
        either: { cert_excludes_basic: false },
        certonly: { auth_methods: ["cert"] },
        basiconly: { auth_methods: ["basic"] },
      },
    });
    try {
      const stranger = await makeSelfSigned(tmp, "/CN=alice", ["extendedKeyUsage=clientAuth"]);
      const withBoth = { ...stranger, user: ALICE.user };
      const refused = await enroll(srv, "simpleenroll", "/CN=alice", withBoth);
      assert.equal(refused.status, 401);
      assert.equal(refused.text, "Client certificate not accepted\n");
      assert.equal(refused.headers.get("www-authenticate"), 'Basic realm="EST"');
      const either = await enroll(srv, "either/simpleenroll", "/CN=alice", withBoth);
      assert.equal(either.status, 200, either.text);
      const basicOnCertOnly = await enroll(srv, "certonly/simpleenroll", "/CN=alice", { user: ALICE.user });
      assert.equal(basicOnCertOnly.status, 401);
      assert.equal(basicOnCertOnly.text, "Client certificate required\n");
      const device = await enrollWithPassword(srv, tmp, "/CN=alice");
      assert.equal((await enroll(srv, "certonly/simpleenroll", "/CN=alice", device)).status, 200);
      // Where only Basic counts, an unknown certificate is ignored rather than refused.
      const basicOnly = await enroll(srv, "basiconly/simpleenroll", "/CN=alice", withBoth);
      assert.equal(basicOnly.status, 200, basicOnly.text);
    } finally {
      await srv.close();
    }
  },
);

Deno.test(
  "cert auth: a client_ca chain presented with its intermediate, with certificate roles for the authoriser",
  opts,
  async () => {
    const root = await makeOpensslCa(tmp, "Factory Root");
    const sub = await makeOpensslCa(tmp, "Factory Sub", root);
    const { certPath: leafPath, keyPath } = await issueFromCa(tmp, sub, "/CN=sensor-1");
    const bundle = await writeTemp(
      tmp,
      "sensor-chain.pem",
      (await Deno.readTextFile(leafPath)) + (await Deno.readTextFile(sub.certPath)),
    );
    const estauthz = new URL("../support/estauthz.py", import.meta.url).pathname;
    const srv = await startTestServer({
      server: { client_ca: root.certPath },
      auth: { certificate_roles: ["estclient"] },
      authorizer: { class: "external-process", executable: estauthz },
    });
    try {
      const res = await enroll(srv, "simpleenroll", "/CN=sensor-1", { certPath: bundle, keyPath });
      assert.equal(res.status, 200, res.text);
      const alone = await enroll(srv, "simpleenroll", "/CN=sensor-1", { certPath: leafPath, keyPath });
      assert.equal(alone.status, 401, "without its intermediate the chain does not reach the root");
    } finally {
      await srv.close();
    }
  },
);
