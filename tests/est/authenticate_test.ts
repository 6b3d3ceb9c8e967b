import "reflect-metadata";
import assert from "node:assert/strict";
import type { Backend } from "../../src/backend/backend.ts";
import { createEstApp } from "../../src/est/app.ts";
import type { CertificateIdentity } from "../../src/realm/certificate_identity.ts";
import type { Principal, Realm } from "../../src/realm/realm.ts";
import { appServices, nodeRequest } from "../support/app_services.ts";
import { issueFromCa, makeCsr, makeOpensslCa } from "../support/pki.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

/**
 * Handler-level tests through app.request(), with the node socket faked so a
 * client certificate can be "presented" without TLS.
 */

const tmp = await tempDir({ prefix: "est-authn-" });
const ca = await makeOpensslCa(tmp, "Unit Root");
const caDer = (await runOk("openssl", ["x509", "-in", ca.certPath, "-outform", "DER"])).stdout;
const { csrDer } = await makeCsr(tmp, "/CN=device-9");
const { der: leafDer } = await issueFromCa(tmp, ca, "/CN=device-9", { ext: "extendedKeyUsage=clientAuth\n" });

const issued: Principal[] = [];
const backend: Backend = {
  caCerts: () => Promise.resolve([caDer]),
  enroll: (_csr, ctx) => {
    issued.push(ctx.principal);
    return Promise.resolve({ der: leafDer, serialHex: "01" });
  },
  reenroll: () => Promise.reject(new Error("unused")),
  health: () => Promise.resolve({ ok: true }),
  close: () => Promise.resolve(),
};

const services = (realm: Realm) => appServices(backend, realm, caDer);

/**
 * A node request as node:http hands it over (a stream with headers, read by
 * the production body reader) whose socket presents a TLS peer chain.
 */
function withPeer(chain: Uint8Array<ArrayBuffer>[], body = "") {
  const certs = chain.map((raw) => ({ raw, issuerCertificate: undefined as unknown }));
  certs.forEach((c, i) => c.issuerCertificate = certs[i + 1] ?? c);
  const socket = {
    remoteAddress: "192.0.2.9",
    getProtocol: () => "TLSv1.3",
    getPeerCertificate: () => certs[0],
  };
  return { incoming: nodeRequest(body, socket) };
}

function enroll(realm: Realm) {
  const body = csrDer.toBase64();
  return createEstApp(services(realm)).request(
    "/.well-known/est/simpleenroll",
    { method: "POST", body, headers: { "Content-Type": "application/pkcs10" } },
    withPeer([leafDer], body),
  );
}

const passwordOnly = (authenticate: Realm["authenticate"]): Realm => ({
  authenticate,
  health: () => Promise.resolve({ ok: true }),
  close: () => Promise.resolve(),
});

Deno.test("authenticate: a realm that looks certificates up names the holder by certID", async () => {
  const seen: CertificateIdentity[] = [];
  const realm: Realm = {
    ...passwordOnly(() => Promise.resolve(null)),
    authenticateCertificate(identity) {
      seen.push(identity);
      return Promise.resolve({
        name: "est-test-user",
        fullName: "device-9",
        roles: ["EST Users"],
        method: "certificate",
      });
    },
  };
  const res = await enroll(realm);
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(seen[0].certId, /^2;\d+;CN=Unit Root;CN=device-9$/);
  assert.deepEqual(issued.at(-1), {
    name: "est-test-user",
    fullName: "device-9",
    roles: ["EST Users"],
    method: "certificate",
  });
});

Deno.test("authenticate: a certificate the realm does not know is 401 (no Basic fallback)", async () => {
  const realm: Realm = {
    ...passwordOnly(() => Promise.resolve(null)),
    authenticateCertificate: () => Promise.resolve(null),
  };
  const res = await enroll(realm);
  assert.equal(res.status, 401);
  assert.equal(await res.text(), "Client certificate not accepted\n");
});

Deno.test("authenticate: a realm that fails is 503 with Retry-After, an EstError it throws passes through", async () => {
  const down: Realm = {
    ...passwordOnly(() => Promise.resolve(null)),
    authenticateCertificate: () => Promise.reject(new Error("ldap down")),
  };
  const res = await enroll(down);
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), "30");
  const basicDown = passwordOnly(() => Promise.reject(new Error("db gone")));
  const app = createEstApp(services(basicDown));
  const viaBasic = await app.request("/.well-known/est/simpleenroll", {
    method: "POST",
    body: csrDer.toBase64(),
    headers: { "Content-Type": "application/pkcs10", Authorization: `Basic ${btoa("u:p")}` },
  });
  assert.equal(viaBasic.status, 503);
  const { ForbiddenError } = await import("../../src/errors.ts");
  const refusing = passwordOnly(() => Promise.reject(new ForbiddenError("account locked")));
  const locked = await createEstApp(services(refusing)).request("/.well-known/est/simpleenroll", {
    method: "POST",
    body: csrDer.toBase64(),
    headers: { "Content-Type": "application/pkcs10", Authorization: `Basic ${btoa("u:p")}` },
  });
  assert.equal(locked.status, 403);
  assert.equal(await locked.text(), "account locked\n");
});

Deno.test("authenticate: renewal refuses when the realm does not know the certificate", async () => {
  const realm: Realm = {
    ...passwordOnly(() => Promise.resolve(null)),
    authenticateCertificate: () => Promise.resolve(null),
  };
  const res = await createEstApp(services(realm)).request(
    "/.well-known/est/simplereenroll",
    { method: "POST", body: csrDer.toBase64(), headers: { "Content-Type": "application/pkcs10" } },
    withPeer([leafDer]),
  );
  assert.equal(res.status, 401);
});

Deno.test("authenticate: without a realm, Basic is always 401", async () => {
  const s = services(passwordOnly(() => Promise.resolve(null)));
  delete s.realm;
  const res = await createEstApp(s).request("/.well-known/est/simpleenroll", {
    method: "POST",
    body: csrDer.toBase64(),
    headers: { "Content-Type": "application/pkcs10", Authorization: `Basic ${btoa("u:p")}` },
  });
  assert.equal(res.status, 401);
});
