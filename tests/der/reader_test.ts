import assert from "node:assert/strict";
import * as asn1js from "asn1js";
import {
  childrenOf,
  DerSyntaxError,
  directoryStringOf,
  dottedOidOf,
  isContextTag,
  isUniversal,
  oidKey,
  oidKeyOf,
  readDer,
  UNIVERSAL,
  unsignedIntegerOf,
  wholeBitsOf,
} from "../../src/der/reader.ts";
import { constructed, contextTag, SEQUENCE } from "../../src/der/elements.ts";

const der = (block: asn1js.BaseBlock) => new Uint8Array(block.toBER());

Deno.test("der reader: one element, whole; anything short, long or malformed is a DerSyntaxError", () => {
  const seq = der(new asn1js.Sequence({ value: [new asn1js.Integer({ value: 5 }), new asn1js.Null()] }));
  const node = readDer(seq);
  assert.deepEqual(node.raw, seq);
  assert.ok(isUniversal(node, UNIVERSAL.SEQUENCE));
  assert.deepEqual(childrenOf(node).map((c) => c.raw.toHex()), ["020105", "0500"]);
  for (
    const bad of [
      seq.subarray(0, seq.length - 1),
      new Uint8Array([...seq, 0]),
      new Uint8Array([0x30]),
      new Uint8Array([0x30, 0x80, 0x00, 0x00]), // indefinite length
      new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
      new Uint8Array(0),
    ]
  ) {
    assert.throws(() => readDer(bad), DerSyntaxError, bad.toHex());
  }
  assert.throws(() => childrenOf(childrenOf(node)[0]), DerSyntaxError, "a primitive has no children");
  const garbageInside = new Uint8Array([0x30, 0x03, 0x02, 0x05, 0x00]);
  assert.throws(() => childrenOf(readDer(garbageInside)), DerSyntaxError);
});

Deno.test("der reader: tags, OIDs, integers and bit strings", () => {
  const tagged = readDer(constructed(contextTag(3), [der(new asn1js.Null())]));
  assert.ok(isContextTag(tagged, 3));
  assert.ok(!isContextTag(tagged, 0));
  assert.ok(!isUniversal(tagged, 3));
  assert.ok(!isUniversal(readDer(constructed(SEQUENCE, [])), UNIVERSAL.SET));
  const oid = readDer(der(new asn1js.ObjectIdentifier({ value: "1.2.840.10045.4.3.2" })));
  assert.equal(oidKeyOf(oid), oidKey("1.2.840.10045.4.3.2"));
  assert.equal(dottedOidOf(oid), "1.2.840.10045.4.3.2");
  assert.equal(oidKeyOf(readDer(der(new asn1js.Null()))), undefined);
  assert.equal(dottedOidOf(readDer(der(new asn1js.Null()))), "(not an OID)");
  const int = (hex: string) => unsignedIntegerOf(readDer(Uint8Array.fromHex(hex)))?.toHex();
  assert.equal(int("020100"), "00");
  assert.equal(int("0203008001"), "8001");
  assert.equal(int("0202ff01"), undefined, "negative");
  assert.equal(int("0200"), undefined, "empty");
  assert.equal(int("0500"), undefined, "not an INTEGER");
  const bits = (hex: string) => wholeBitsOf(readDer(Uint8Array.fromHex(hex)))?.toHex();
  assert.equal(bits("030300abcd"), "abcd");
  assert.equal(bits("030304abc0"), undefined, "unused bits");
  assert.equal(bits("0300"), undefined, "no unused-bits octet");
  assert.equal(bits("0403abcdef"), undefined, "an OCTET STRING");
});

Deno.test("der reader: directory strings in every encoding X.509 names use", () => {
  const text = (block: asn1js.BaseBlock) => directoryStringOf(readDer(der(block)));
  assert.equal(text(new asn1js.Utf8String({ value: "Grüße ✓" })), "Grüße ✓");
  assert.equal(text(new asn1js.PrintableString({ value: "Example Ltd" })), "Example Ltd");
  assert.equal(text(new asn1js.IA5String({ value: "a@b.example" })), "a@b.example");
  assert.equal(text(new asn1js.TeletexString({ value: "caf\u00e9" })), "caf\u00e9");
  assert.equal(text(new asn1js.BmpString({ value: "Ωmega" })), "Ωmega");
  assert.equal(text(new asn1js.UniversalString({ value: "𝔘nicode" })), "𝔘nicode");
  assert.equal(text(new asn1js.Integer({ value: 1 })), undefined);
  assert.equal(directoryStringOf(readDer(Uint8Array.fromHex("0c02c328"))), undefined, "invalid UTF-8");
  assert.equal(
    directoryStringOf(readDer(Uint8Array.fromHex("1c03000000"))),
    undefined,
    "UniversalString of 3 octets",
  );
  assert.equal(directoryStringOf(readDer(Uint8Array.fromHex("1c0400110000"))), undefined, "beyond Unicode");
  assert.equal(directoryStringOf(readDer(Uint8Array.fromHex("2c00"))), undefined, "constructed");
  const long = "x".repeat(10_000);
  assert.equal(text(new asn1js.PrintableString({ value: long })), long);
});

Deno.test("dottedOidOf: remembered OIDs stay right past the bound of those kept", () => {
  const oidNode = (dotted: string) => readDer(der(new asn1js.ObjectIdentifier({ value: dotted })));
  for (let i = 0; i < 600; i++) {
    assert.equal(dottedOidOf(oidNode(`1.3.6.1.4.1.99999.${i}`)), `1.3.6.1.4.1.99999.${i}`);
  }
  for (let i = 0; i < 600; i += 97) {
    assert.equal(dottedOidOf(oidNode(`1.3.6.1.4.1.99999.${i}`)), `1.3.6.1.4.1.99999.${i}`);
  }
  assert.equal(dottedOidOf(readDer(der(new asn1js.Null()))), "(not an OID)");
});
