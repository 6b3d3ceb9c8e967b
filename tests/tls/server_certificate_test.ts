import "reflect-metadata";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { LocalCaBackend } from "../../src/backend/local_ca/local_ca_backend.ts";
import {
  needsRenewal,
  SelfIssuedServerCertificate,
  serverIdentities,
} from "../../src/tls/server_certificate.ts";
import { tempDir } from "../support/temp.ts";

const base = {
  kind: "local-ca" as const,
  keyType: "P-256" as const,
  subject: "CN=TLS CA",
  caValidityDays: 365,
  validityDays: 90,
  extendedKeyUsage: [],
  minRsaBits: 2048,
  minRsaExponent: 65537,
};

Deno.test("server identities: loopback names always, plus the bind host when specific", () => {
  assert.deepEqual(serverIdentities("127.0.0.1"), {
    hostnames: ["localhost", hostname()],
    addresses: ["127.0.0.1", "::1"],
  });
  assert.deepEqual(serverIdentities("192.0.2.10").addresses, ["127.0.0.1", "::1", "192.0.2.10"]);
  assert.deepEqual(serverIdentities("0.0.0.0").addresses, ["127.0.0.1", "::1"]);
  assert.ok(serverIdentities("est.example.com").hostnames.includes("est.example.com"));
});

Deno.test("server certificate: issued once, reused, re-issued when due or mismatched", async () => {
  const state = await tempDir();
  const ca = await LocalCaBackend.open(base, state);
  const source = new SelfIssuedServerCertificate(ca, state, serverIdentities("127.0.0.1"));
  const first = await source.current();
  assert.equal((await source.current()).certPem, first.certPem, "reused while fresh");
  const keyMode = (await Deno.stat(join(state, "tls", "server.key.pem"))).mode! & 0o777;
  assert.equal(keyMode, 0o600);
  // A key that does not belong to the certificate (a torn write) forces a new pair.
  await Deno.writeTextFile(
    join(state, "tls", "server.key.pem"),
    (await ca.issueServerTls(["x"], [], 1)).keyPem,
  );
  const second = await source.current();
  assert.notEqual(second.certPem, first.certPem);
  await Deno.writeTextFile(join(state, "tls", "server.cert.pem"), "garbage");
  assert.notEqual((await source.current()).certPem, second.certPem);
  source.stop();
  await ca.close();
});

Deno.test("needsRenewal: a third of the lifetime left, another issuer, or garbage", async () => {
  const state = await tempDir();
  const ca = await LocalCaBackend.open(base, state);
  const other = await LocalCaBackend.open({ ...base, subject: "CN=Other" }, await tempDir());
  const { certPem } = await ca.issueServerTls(["localhost"], [], 90);
  const notAfter = new x509.X509Certificate(certPem).notAfter.getTime();
  assert.equal(needsRenewal(certPem, ca.ca.cert), false);
  assert.equal(needsRenewal(certPem, ca.ca.cert, notAfter - 31 * 86_400_000), false);
  assert.equal(needsRenewal(certPem, ca.ca.cert, notAfter - 29 * 86_400_000), true);
  assert.equal(needsRenewal(certPem, other.ca.cert), true);
  assert.equal(needsRenewal("not a cert", ca.ca.cert), true);
  await ca.close();
  await other.close();
});

Deno.test("server certificate: the renewal timer replaces a certificate that fell due", async () => {
  const state = await tempDir();
  const ca = await LocalCaBackend.open(base, state);
  const source = new SelfIssuedServerCertificate(ca, state, serverIdentities("127.0.0.1"));
  const first = await source.current();
  const applied: string[] = [];
  source.startRenewal((tls) => applied.push(tls.certPem), 20);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(applied.length, 0, "nothing to do while fresh");
  const other = await LocalCaBackend.open({ ...base, subject: "CN=Other" }, await tempDir());
  await Deno.writeTextFile(
    join(state, "tls", "server.cert.pem"),
    (await other.issueServerTls(["x"], [], 90)).certPem,
  );
  for (let i = 0; i < 50 && applied.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  source.stop();
  assert.equal(applied.length, 1);
  assert.notEqual(applied[0], first.certPem);
  assert.equal(new x509.X509Certificate(applied[0]).issuer, "CN=TLS CA");
  await Deno.remove(join(state, "tls", "server.cert.pem"));
  const failing = new SelfIssuedServerCertificate(ca, state, serverIdentities("127.0.0.1"));
  failing.startRenewal(() => applied.push("never"), 10);
  await new Promise((r) => setTimeout(r, 40));
  failing.stop();
  assert.equal(applied.length, 1, "a failed check is logged, not applied");
  await ca.close();
  await other.close();
});
