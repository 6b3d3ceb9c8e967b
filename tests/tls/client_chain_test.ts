import "reflect-metadata";
import assert from "node:assert/strict";
import { ClientChainValidator, type EkuPolicy } from "../../src/tls/client_chain.ts";
import { issueFromCa, makeOpensslCa, makeSelfSigned, type OpensslCa } from "../support/pki.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const tmp = await tempDir({ prefix: "est-chain-" });
const der = async (pemPath: string) =>
  (await runOk("openssl", ["x509", "-in", pemPath, "-outform", "DER"])).stdout;

const root = await makeOpensslCa(tmp, "Root");
const sub = await makeOpensslCa(tmp, "Sub", root);
const other = await makeOpensslCa(tmp, "Other");

/** A leaf signed by `ca` with the given openssl extension lines and extra x509 args. */
async function leaf(ca: OpensslCa, ext: string, extra: string[] = []): Promise<Uint8Array<ArrayBuffer>> {
  return (await issueFromCa(tmp, ca, "/CN=device", { ext, extra })).der;
}

const CLIENT = "basicConstraints=CA:false\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n";

function validator(
  anchors: Uint8Array<ArrayBuffer>[],
  options: { renewal?: Uint8Array<ArrayBuffer>[]; eku?: EkuPolicy; revoked?: boolean } = {},
) {
  return new ClientChainValidator({
    anchors: () => Promise.resolve(anchors),
    renewalAnchors: () => Promise.resolve(options.renewal ?? anchors),
    ekuPolicy: options.eku ?? "required",
    isRevoked: () => Promise.resolve(options.revoked ?? false),
  });
}

const rootDer = await der(root.certPath);
const subDer = await der(sub.certPath);

async function reason(
  v: ClientChainValidator,
  chain: Uint8Array<ArrayBuffer>[],
  purpose: "authentication" | "renewal" = "authentication",
) {
  const verdict = await v.validate(chain, purpose);
  return verdict.ok ? "ok" : verdict.reason;
}

Deno.test("chain: a leaf under an intermediate validates with the chain presented, and names itself", async () => {
  const cert = await leaf(sub, CLIENT);
  const verdict = await validator([rootDer]).validate([cert, subDer], "authentication");
  assert.ok(verdict.ok);
  assert.equal(verdict.identity.subjectDn, "CN=device");
  assert.equal(verdict.identity.issuerDn, "CN=Sub");
  assert.match(verdict.identity.certId, /^2;\d+;CN=Sub;CN=device$/);
  assert.equal(BigInt(`0x${verdict.identity.serialHex}`).toString(), verdict.identity.serialDecimal);
  assert.equal(verdict.identity.commonName, "device");
  assert.equal(await reason(validator([rootDer, subDer]), [cert]), "ok", "intermediate as an anchor");
  assert.equal(
    await reason(validator([rootDer]), [cert]),
    "certificate was not issued by a trusted CA",
    "missing intermediate",
  );
});

Deno.test("chain: untrusted, expired, revoked and renewal-only-from-this-CA", async () => {
  const cert = await leaf(sub, CLIENT);
  assert.equal(
    await reason(validator([await der(other.certPath)]), [cert, subDer]),
    "certificate was not issued by a trusted CA",
  );
  assert.equal(await reason(validator([]), [cert, subDer]), "certificate was not issued by a trusted CA");
  const later = await validator([rootDer]).validate(
    [cert, subDer],
    "authentication",
    new Date(Date.now() + 40 * 86_400_000),
  );
  assert.deepEqual(later, { ok: false, reason: "certificate is expired or not yet valid" });
  assert.equal(
    await reason(validator([rootDer], { revoked: true }), [cert, subDer]),
    "certificate has been revoked",
  );
  const renewal = validator([rootDer, await der(other.certPath)], { renewal: [await der(other.certPath)] });
  assert.equal(await reason(renewal, [cert, subDer], "renewal"), "certificate was not issued by this CA");
  assert.equal(await reason(renewal, [await leaf(other, CLIENT)], "renewal"), "ok");
  const failing = new ClientChainValidator({
    anchors: () => Promise.reject(new Error("CA down")),
    renewalAnchors: () => Promise.reject(new Error("CA down")),
    ekuPolicy: "required",
  });
  assert.equal(await reason(failing, [cert, subDer]), "certificate was not issued by a trusted CA");
});

Deno.test("chain: fitness for client authentication (keyUsage, extendedKeyUsage)", async () => {
  const v = validator([rootDer]);
  assert.equal(
    await reason(v, [await leaf(sub, "keyUsage=keyEncipherment\nextendedKeyUsage=clientAuth\n"), subDer]),
    "certificate keyUsage does not allow digitalSignature",
  );
  assert.equal(
    await reason(v, [await leaf(sub, "extendedKeyUsage=serverAuth\n"), subDer]),
    "certificate extendedKeyUsage does not include clientAuth",
  );
  const noEku = await leaf(sub, "basicConstraints=CA:false\n");
  assert.equal(await reason(v, [noEku, subDer]), "certificate has no extendedKeyUsage with clientAuth");
  assert.equal(await reason(validator([rootDer], { eku: "if-present" }), [noEku, subDer]), "ok");
  assert.equal(await reason(v, [await leaf(sub, "extendedKeyUsage=anyExtendedKeyUsage\n"), subDer]), "ok");
});

Deno.test("chain: CA constraints, path length and signature algorithms", async () => {
  const notCa = await issueFromCa(tmp, root, "/CN=NotCA", { ext: "basicConstraints=CA:false\n" });
  const underNotCa = await leaf(notCa, CLIENT);
  assert.equal(
    await reason(validator([rootDer]), [underNotCa, notCa.der]),
    "certificate chain violates a CA constraint",
  );

  const tight = await makeSelfSigned(tmp, "/CN=Tight", [
    "basicConstraints=critical,CA:true,pathlen:0",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  const middle = await makeOpensslCa(tmp, "Middle", tight);
  const deep = await leaf(middle, CLIENT);
  assert.equal(
    await reason(validator([await der(tight.certPath)]), [deep, await der(middle.certPath)]),
    "certificate chain exceeds a CA path length constraint",
  );
  assert.equal(await reason(validator([await der(tight.certPath)]), [await leaf(tight, CLIENT)]), "ok");

  const sha1 = await leaf(sub, CLIENT, ["-sha1"]);
  assert.equal(
    await reason(validator([rootDer]), [sha1, subDer]),
    "certificate chain uses a weak or unsupported signature algorithm",
  );
});

Deno.test("chain: unparseable and version 1 certificates", async () => {
  const v = validator([rootDer]);
  assert.equal(await reason(v, [new Uint8Array([0x30, 0x00])]), "certificate cannot be parsed");
  const v1 = await leaf(sub, "");
  assert.match(
    (await runOk("openssl", ["x509", "-inform", "DER", "-noout", "-text"], v1)).text,
    /Version: 1/,
  );
  assert.equal(await reason(v, [v1, subDer]), "certificate is not X.509 version 3");
});
