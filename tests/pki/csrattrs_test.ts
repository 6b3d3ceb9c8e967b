import assert from "node:assert/strict";
import { encodeCsrAttrs } from "../../src/pki/csrattrs.ts";
import { runOk } from "../support/tools.ts";

Deno.test("csrattrs: the RFC 7030 §4.5.2 example shape encodes and openssl parses it", async () => {
  const der = encodeCsrAttrs([
    { oid: "1.2.840.113549.1.9.7", values: [] },
    { oid: "1.2.840.10045.2.1", values: ["1.3.132.0.34"] },
    { oid: "1.2.840.113549.1.9.14", values: ["1.3.6.1.1.1.1.22"] },
    { oid: "1.2.840.10045.4.3.3", values: [] },
  ]);
  const dump = (await runOk("openssl", ["asn1parse", "-inform", "DER"], der)).text;
  const objects = [...dump.matchAll(/OBJECT\s+:(\S+)/g)].map((m) => m[1]);
  assert.deepEqual(objects, [
    "challengePassword",
    "id-ecPublicKey",
    "secp384r1",
    "Extension",
    "1.3.6.1.1.1.1.22",
    "ecdsa-with-SHA384",
  ]);
  assert.match(dump, /^\s*0:d=0\s+hl=2 l=\s*\d+ cons: SEQUENCE/);
});

Deno.test("csrattrs: an empty list is an empty SEQUENCE", () => {
  assert.deepEqual(encodeCsrAttrs([]), new Uint8Array([0x30, 0x00]));
});
