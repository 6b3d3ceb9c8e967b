import "reflect-metadata";
import assert from "node:assert/strict";
import * as x509 from "@peculiar/x509";
import * as pkijs from "pkijs";
import { candidatePaths, DEFAULT_CHAIN_LIMITS } from "../../src/tls/chain_path.ts";
import { ClientChainValidator } from "../../src/tls/client_chain.ts";
import { issuingLoop } from "../support/hostile_chains.ts";
import { issueFromCa, makeOpensslCa } from "../support/pki.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const tmp = await tempDir({ prefix: "est-chainpath-" });
const der = async (pemPath: string) =>
  (await runOk("openssl", ["x509", "-in", pemPath, "-outform", "DER"])).stdout;
const CLIENT = "basicConstraints=CA:false\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n";
const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

/** A certificate named `subject`, issued under the name `issuer` with a fresh key (signatures never chain). */
async function named(subject: string, issuer: string): Promise<pkijs.Certificate> {
  const keys = await crypto.subtle.generateKey(ALG, false, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: "01",
    subject,
    issuer,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return pkijs.Certificate.fromBER(cert.rawData);
}

function validator(anchors: Uint8Array<ArrayBuffer>[], limits = DEFAULT_CHAIN_LIMITS) {
  return new ClientChainValidator({
    anchors: () => Promise.resolve(anchors),
    renewalAnchors: () => Promise.resolve(anchors),
    ekuPolicy: "if-present",
    limits,
  });
}

async function reason(v: ClientChainValidator, chain: Uint8Array<ArrayBuffer>[]) {
  const verdict = await v.validate(chain, "authentication");
  return verdict.ok ? "ok" : verdict.reason;
}

Deno.test("chain path: certificates that issue each other are refused, however often repeated", async () => {
  const anchor = await der((await makeOpensslCa(tmp, "LoopAnchor")).certPath);
  for (const repeat of [1, 2, 50]) {
    const loop = await issuingLoop(tmp, `loop${repeat}`, repeat);
    assert.equal(await reason(validator([anchor]), loop.ders), "certificate was not issued by a trusted CA");
  }
});

Deno.test("chain path: a loop whose names reach an anchor is still refused on signatures", async () => {
  const loop = await issuingLoop(tmp, "named");
  // An anchor named like B (CN=named-B) with its own key: names lead there, signatures do not.
  const impostor = await makeOpensslCa(tmp, "named-B");
  assert.equal(
    await reason(validator([await der(impostor.certPath)]), loop.ders),
    "certificate was not issued by a trusted CA",
  );
});

Deno.test("chain path: names that fan out are searched within a fixed budget", async () => {
  const leaf = await named("CN=leaf", "CN=X");
  const crowd = await Promise.all(Array.from({ length: 30 }, () => named("CN=X", "CN=X")));
  const anchors = [await named("CN=Root", "CN=Root")];
  assert.deepEqual(candidatePaths(leaf, crowd, anchors, { maxPathLength: 30 }), []);
  const reachable = [...crowd, await named("CN=X", "CN=Root")];
  const paths = candidatePaths(leaf, reachable, anchors, { maxPathLength: 30 }, 3);
  assert.ok(paths.length <= 3);
  for (const path of paths) assert.equal(new Set(path).size, path.length, "no certificate twice in a path");
});

Deno.test("chain path: limits on certificates, their size and the path length", async () => {
  const root = await makeOpensslCa(tmp, "LimitRoot");
  const sub = await makeOpensslCa(tmp, "LimitSub", root);
  const rootDer = await der(root.certPath);
  const subDer = await der(sub.certPath);
  const leaf = (await issueFromCa(tmp, sub, "/CN=device", { ext: CLIENT })).der;
  assert.equal(await reason(validator([rootDer]), [leaf, subDer]), "ok");
  const short = { ...DEFAULT_CHAIN_LIMITS, maxPathLength: 2 };
  assert.equal(
    await reason(validator([rootDer], short), [leaf, subDer]),
    "certificate was not issued by a trusted CA",
  );
  assert.equal(await reason(validator([subDer], short), [leaf]), "ok", "leaf and anchor fit in 2");
  const oneCert = { ...DEFAULT_CHAIN_LIMITS, maxCerts: 1 };
  assert.equal(
    await reason(validator([rootDer], oneCert), [leaf, subDer]),
    "certificate was not issued by a trusted CA",
    "the intermediate beyond maxCerts is not considered",
  );
  const tiny = { ...DEFAULT_CHAIN_LIMITS, maxCertBytes: 100 };
  assert.equal(await reason(validator([rootDer], tiny), [leaf, subDer]), "certificate is too large");
  const noTime = { ...DEFAULT_CHAIN_LIMITS, timeBudgetMs: -1 };
  assert.equal(
    await reason(validator([rootDer], noTime), [leaf, subDer]),
    "certificate chain took too long to verify",
  );
});
