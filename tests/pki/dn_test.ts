import "reflect-metadata";
import assert from "node:assert/strict";
import * as x509 from "@peculiar/x509";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from "@peculiar/asn1-x509";
import { identityNameOf, jssDnString, readName } from "../../src/pki/dn.ts";

const nameDer = (json: Record<string, string[]>[]) => new x509.Name(json as x509.JsonName).toArrayBuffer();

Deno.test("dn: JSS order is most specific first, no spaces, specials escaped", () => {
  const der = nameDer([{ "2.5.4.10": ["EXAMPLE"] }, { "2.5.4.11": ["pki-tomcat"] }, {
    "2.5.4.3": ["CA Signing Certificate"],
  }]);
  assert.equal(jssDnString(der), "CN=CA Signing Certificate,OU=pki-tomcat,O=EXAMPLE");
  const ava = (type: string, utf8String: string) =>
    new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String }) });
  const tricky = AsnConvert.serialize(
    new Name([
      new RelativeDistinguishedName([ava("2.5.4.3", 'a,b+c="d"\\'), ava("0.9.2342.19200300.100.1.1", "u1")]),
      new RelativeDistinguishedName([ava("1.2.3.4", "x")]),
    ]),
  );
  assert.equal(jssDnString(tricky), '1.2.3.4=x,CN=a\\,b\\+c\\=\\"d\\"\\\\+UID=u1');
});

Deno.test("dn: the identity name is the most specific CN or UID", () => {
  assert.equal(
    identityNameOf(nameDer([{ "2.5.4.3": ["outer"] }, { "2.5.4.10": ["O"] }, { "2.5.4.3": ["inner"] }])),
    "inner",
  );
  assert.equal(identityNameOf(nameDer([{ "2.5.4.3": ["c"] }, { "0.9.2342.19200300.100.1.1": ["u"] }])), "u");
  assert.equal(identityNameOf(nameDer([{ "2.5.4.10": ["O only"] }])), undefined);
  assert.equal(identityNameOf(nameDer([])), undefined);
});

Deno.test("dn: readName keeps DER order and every attribute", () => {
  assert.deepEqual(readName(nameDer([{ "2.5.4.6": ["DE"] }, { "2.5.4.3": ["x"], "2.5.4.5": ["42"] }])), [
    [{ oid: "2.5.4.6", value: "DE" }],
    [{ oid: "2.5.4.3", value: "x" }, { oid: "2.5.4.5", value: "42" }],
  ]);
});
