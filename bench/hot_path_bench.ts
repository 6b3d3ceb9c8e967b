import "reflect-metadata";
import { useCryptoProvider } from "../src/crypto/active.ts";
import { openOpensslProvider } from "../src/crypto/openssl/provider.ts";
import { decodeRequestBody, encodeResponseBody } from "../src/est/body_codec.ts";
import { parseCsr } from "../src/pki/csr.ts";
import { encodeCertsOnly } from "../src/pki/pkcs7.ts";
import { parseBasicAuthorization } from "../src/realm/basic_credentials.ts";
import { InMemoryRealm } from "../src/realm/in_memory.ts";
import { LocalCaBackend } from "../src/backend/local_ca/local_ca_backend.ts";
import { makeCsrBodies } from "./lib/csrs.ts";

/**
 * Micro-benchmarks of the enrollment hot path (`deno bench -A bench/`), with
 * the OpenSSL crypto provider the server uses by default. crypto_bench.ts
 * compares the providers on the bare operations.
 */

const provider = openOpensslProvider();
useCryptoProvider(provider);
const tmp = await Deno.makeTempDir({ prefix: "est-bench-" });
const [csrB64] = await makeCsrBodies(tmp, 1);
const csrDer = Uint8Array.fromBase64(csrB64);
const csrBody = new TextEncoder().encode(
  `-----BEGIN CERTIFICATE REQUEST-----\n${
    csrB64.replace(/.{64}/g, "$&\n")
  }\n-----END CERTIFICATE REQUEST-----\n`,
);
const csrBase64 = new TextEncoder().encode(csrDer.toBase64());
const policy = { minRsaBits: 2048 };
const ca = await LocalCaBackend.open(
  {
    kind: "local-ca",
    keyType: "P-256",
    subject: "CN=Bench CA",
    caValidityDays: 30,
    validityDays: 30,
    extendedKeyUsage: ["1.3.6.1.5.5.7.3.2"],
    minRsaBits: 2048,
    minRsaExponent: 65537,
  },
  tmp,
  undefined,
  provider.crypto,
);
const csr = await parseCsr(csrDer, policy, provider.crypto);
const ctx = {
  principal: { name: "bench", roles: [], method: "password" as const },
  requestId: "bench",
  remoteAddr: "127.0.0.1",
  issuance: {},
};
const issued = await ca.enroll(csr, ctx);
const chain = await ca.caCerts();
const realm = new InMemoryRealm({
  kind: "in-memory",
  username: "bench",
  password: "bench-password",
  roles: ["estclient"],
  fullName: "Bench",
  demo: false,
});
const header = `Basic ${btoa("bench:bench-password")}`;
const layout = { lineLength: 0, lineEnding: "lf" as const };
const p7 = encodeCertsOnly([issued.der]);

Deno.bench("base64 body decode (single-line base64 CSR)", { group: "codec" }, () => {
  decodeRequestBody(csrBase64, ["CERTIFICATE REQUEST"]);
});
Deno.bench("base64 body decode (PEM CSR)", { group: "codec" }, () => {
  decodeRequestBody(csrBody, ["CERTIFICATE REQUEST"]);
});
Deno.bench("base64 body encode (certs-only PKCS#7)", { group: "codec" }, () => {
  encodeResponseBody(p7, layout);
});
Deno.bench("CSR parse + signature verify (P-256)", async () => {
  await parseCsr(csrDer, policy, provider.crypto);
});
Deno.bench("certificate build + sign + record (P-256 CA)", async () => {
  await ca.enroll(csr, ctx);
});
Deno.bench("PKCS#7 certs-only encode + base64 (one certificate)", () => {
  encodeResponseBody(encodeCertsOnly([issued.der]), layout);
});
Deno.bench("PKCS#7 certs-only encode (CA chain, cached)", () => {
  encodeCertsOnly(chain);
});
Deno.bench("Basic auth parse + check", async () => {
  const creds = parseBasicAuthorization(header)!;
  await realm.authenticate(creds.username, creds.password);
});
