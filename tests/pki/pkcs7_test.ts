import "reflect-metadata";
import assert from "node:assert/strict";
import * as x509 from "@peculiar/x509";
import * as pkijs from "pkijs";
import { encodeCertsOnly, encodeChainCertsOnly } from "../../src/pki/pkcs7.ts";
import { decodeCertsOnly } from "../../src/pki/pkcs7_decode.ts";
import { makeOpensslCa } from "../support/pki.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const tmp = await tempDir({ prefix: "est-p7-" });
const root = await makeOpensslCa(tmp, "Root");
const sub = await makeOpensslCa(tmp, "Sub", root);
const derOf = async (path: string) =>
  new Uint8Array(new x509.X509Certificate(await Deno.readTextFile(path)).rawData);

Deno.test("pkcs7: certs-only round-trips through openssl in order", async () => {
  const chain = [await derOf(sub.certPath), await derOf(root.certPath)];
  const p7 = encodeCertsOnly(chain);
  const printed = (await runOk("openssl", ["pkcs7", "-inform", "DER", "-print_certs"], p7)).text;
  const subjects = [...printed.matchAll(/^subject=(.*)$/gm)].map((m) => m[1]);
  assert.deepEqual(subjects, ["CN = Sub", "CN = Root"]);
  assert.deepEqual(decodeCertsOnly(p7), chain);
});

Deno.test("pkcs7: structure is SignedData v1, id-data, no digests, no signers", async () => {
  const p7 = encodeCertsOnly([await derOf(root.certPath)]);
  const dump = (await runOk("openssl", ["asn1parse", "-inform", "DER"], p7)).text;
  assert.match(dump, /OBJECT\s+:pkcs7-signedData/);
  assert.match(dump, /INTEGER\s+:01/);
  assert.match(dump, /OBJECT\s+:pkcs7-data/);
  const sets = [...dump.matchAll(/cons: SET\s*$/gm)].length;
  assert.ok(sets >= 2, "empty digestAlgorithms and signerInfos SETs");
});

Deno.test("pkcs7: openssl's own certs-only output decodes", async () => {
  const p7 = (await runOk("openssl", [
    "crl2pkcs7",
    "-nocrl",
    "-certfile",
    sub.certPath,
    "-certfile",
    root.certPath,
    "-outform",
    "DER",
  ])).stdout;
  assert.deepEqual(decodeCertsOnly(p7), [await derOf(sub.certPath), await derOf(root.certPath)]);
});

Deno.test("pkcs7: a ContentInfo that is not SignedData is refused", () => {
  // ContentInfo { id-data, [0] OCTET STRING "" } written by openssl would be long; build via pkijs indirectly:
  const p7 = encodeCertsOnly([]);
  const mutated = Uint8Array.from(p7);
  // Flip the last OID byte of pkcs7-signedData (…07 02) to pkcs7-data (…07 01).
  const at = mutated.findIndex((_, i) =>
    mutated[i] === 0x07 && mutated[i + 1] === 0x02 && mutated[i - 1] === 0x01
  );
  mutated[at + 1] = 0x01;
  assert.throws(() => decodeCertsOnly(mutated), /not a SignedData/);
  assert.deepEqual(decodeCertsOnly(p7), []);
});

/** The encoding pkijs produces for the same certificates (the reference the codec must match byte for byte). */
function pkijsCertsOnly(certificates: Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer> {
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: "1.2.840.113549.1.7.1" }),
    certificates: certificates.map((der) => pkijs.Certificate.fromBER(der)),
  });
  const contentInfo = new pkijs.ContentInfo({
    contentType: "1.2.840.113549.1.7.2",
    content: signedData.toSchema(true),
  });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

Deno.test("pkcs7: byte for byte what pkijs encodes, for one certificate, a chain and none", async () => {
  const chain = [await derOf(sub.certPath), await derOf(root.certPath)];
  for (const certificates of [[chain[0]], chain, []]) {
    assert.deepEqual(encodeCertsOnly(certificates), pkijsCertsOnly(certificates));
  }
});

Deno.test("pkcs7: a CA chain array is encoded once; another array is encoded anew", async () => {
  const chain = [await derOf(root.certPath)];
  assert.equal(encodeChainCertsOnly(chain), encodeChainCertsOnly(chain));
  assert.deepEqual(encodeChainCertsOnly(chain), encodeCertsOnly(chain));
  const other = [await derOf(sub.certPath)];
  assert.notDeepEqual(encodeChainCertsOnly(other), encodeChainCertsOnly(chain));
  const twoCertificates = [await derOf(sub.certPath), await derOf(root.certPath)];
  assert.equal(encodeChainCertsOnly(twoCertificates), encodeChainCertsOnly(twoCertificates));
  assert.deepEqual(encodeChainCertsOnly(twoCertificates), pkijsCertsOnly(twoCertificates));
});

Deno.test("pkcs7: an enrollment's answer is encoded afresh each time, so no encoding is kept for it", async () => {
  const answer = [await derOf(sub.certPath)];
  const first = encodeCertsOnly(answer);
  const second = encodeCertsOnly(answer);
  assert.notEqual(first, second);
  assert.deepEqual(first, second);
});

Deno.test("pkcs7: one certificate goes into a frame kept per length; each keeps its own bytes", async () => {
  const first = await derOf(root.certPath);
  const sameLength = first.slice();
  sameLength[sameLength.length - 1] ^= 0xff; // the signature's last byte: the same structure, other bytes
  for (const certificate of [first, sameLength, first, await derOf(sub.certPath)]) {
    const p7 = encodeCertsOnly([certificate]);
    assert.deepEqual(p7, pkijsCertsOnly([certificate]));
    assert.deepEqual(decodeCertsOnly(p7), [certificate]);
  }
});
