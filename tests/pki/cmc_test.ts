import assert from "node:assert/strict";
import * as asn1js from "asn1js";
import { checkCmcRequest, httpStatusOfCmcStatus } from "../../src/pki/cmc.ts";
import { BadRequestError } from "../../src/errors.ts";
import { encodeCertsOnly } from "../../src/pki/pkcs7.ts";
import { cmcStatusResponse } from "../support/cmc.ts";

Deno.test("cmc: a SignedData or AuthenticatedData ContentInfo passes; anything else is 400", () => {
  checkCmcRequest(cmcStatusResponse(0, "ok"));
  checkCmcRequest(encodeCertsOnly([]));
  const authenticated = new asn1js.Sequence({
    value: [
      new asn1js.ObjectIdentifier({ value: "1.2.840.113549.1.9.16.1.2" }),
      new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Sequence()] }),
    ],
  });
  checkCmcRequest(new Uint8Array(authenticated.toBER(false)));
  const data = new asn1js.Sequence({
    value: [
      new asn1js.ObjectIdentifier({ value: "1.2.840.113549.1.7.1" }),
      new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.OctetString()] }),
    ],
  });
  const cases: [Uint8Array<ArrayBuffer>, string][] = [
    [new Uint8Array([0x30, 0x05, 0x02]), "Invalid CMC request: malformed or truncated DER"],
    [new Uint8Array([...cmcStatusResponse(0, "x"), 0]), "Invalid CMC request: malformed or truncated DER"],
    [
      new Uint8Array(new asn1js.Integer({ value: 5 }).toBER(false)),
      "Invalid CMC request: not a CMS ContentInfo",
    ],
    [
      new Uint8Array(data.toBER(false)),
      "Invalid CMC request: content type 1.2.840.113549.1.7.1 is not SignedData",
    ],
  ];
  for (const [der, message] of cases) {
    assert.throws(
      () => checkCmcRequest(der),
      (err) => err instanceof BadRequestError && err.message === message,
    );
  }
});

Deno.test("cmc: Dogtag's CMC status to HTTP status mapping", () => {
  const expected: [number, number][] = [
    [0, 200],
    [1, 500],
    [2, 400],
    [3, 501],
    [4, 501],
    [5, 501],
    [6, 501],
    [
      7,
      501,
    ],
    [8, 500],
    [99, 500],
  ];
  for (const [cmc, http] of expected) assert.equal(httpStatusOfCmcStatus(cmc), http, String(cmc));
});
