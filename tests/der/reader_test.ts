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
  readAt,
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
  // A child whose length runs past its parent's end is refused, even where the input goes on.
  const overrun = readAt(Uint8Array.fromHex("300304054142434445464748"));
  assert.equal(overrun.contentsLength, 3);
  assert.equal(overrun.headerLength, 2);
  assert.throws(() => childrenOf(overrun), DerSyntaxError);
  const tagPastEnd = readAt(Uint8Array.fromHex("3001" + "1f8101" + "00"));
  assert.throws(() => childrenOf(tagPastEnd), DerSyntaxError);
  const lengthPastEnd = readAt(Uint8Array.fromHex("3002" + "0482" + "0001" + "00"));
  assert.throws(() => childrenOf(lengthPastEnd), DerSyntaxError);
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
  // ASCII UTF8Strings take the path without the fatal decoder: control characters come through as they are
  // (for the name checks to judge), long ones whole, and one octet above 0x7f sends the string to the decoder.
  assert.equal(directoryStringOf(readDer(Uint8Array.fromHex("0c0361006a"))), "a\0j");
  assert.equal(text(new asn1js.Utf8String({ value: "y".repeat(10_000) })), "y".repeat(10_000));
  assert.equal(directoryStringOf(readDer(Uint8Array.fromHex("0c0361ff6a"))), undefined, "0xff is not UTF-8");
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
  const long = `1.3.6.1.4.1.${Array.from({ length: 40 }, (_, i) => 1_000_000 + i).join(".")}`;
  assert.ok(oidNode(long).raw.byteLength > 64);
  assert.equal(dottedOidOf(oidNode(long)), long, "a long OID is decoded, and again");
  assert.equal(dottedOidOf(oidNode(long)), long);
});

Deno.test("readAt: the same element as @oslojs/asn1's parseASN1, on valid and hostile input", async () => {
  const { parseASN1 } = await import("@oslojs/asn1");
  const library = (bytes: Uint8Array) => {
    try {
      const [value, consumed] = parseASN1(bytes);
      return { class: value.class, form: value.form, tag: value.tag, contents: value.contents(), consumed };
    } catch {
      return "refused";
    }
  };
  const ours = (bytes: Uint8Array<ArrayBuffer>) => {
    try {
      const node = readAt(bytes);
      const { value } = node;
      return {
        class: value.class,
        form: value.form,
        tag: value.tag,
        contents: value.contents(),
        consumed: node.raw.length,
      };
    } catch {
      return "refused";
    }
  };
  const seeds = [
    Uint8Array.fromHex("3003020105"),
    Uint8Array.fromHex("308105020105"),
    Uint8Array.fromHex("30820003020105"),
    Uint8Array.fromHex("3088000000000000000302010500"),
    Uint8Array.fromHex("1f8100020101"),
    Uint8Array.fromHex("1f81800001ff"),
    Uint8Array.fromHex("1f818180010000"),
    Uint8Array.fromHex("bf81000105"),
    Uint8Array.fromHex("30800201050000"),
    Uint8Array.fromHex("30ff"),
    Uint8Array.fromHex("0400"),
    Uint8Array.fromHex("1f"),
    Uint8Array.fromHex("1f80"),
    Uint8Array.fromHex("04"),
    der(new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: new Uint8Array(300) })] })),
  ];
  let state = 7;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const inputs: Uint8Array<ArrayBuffer>[] = [...seeds];
  for (const seed of seeds) {
    for (let i = 0; i < 400; i++) {
      const mutated = seed.slice(0, Math.max(1, Math.floor(random() * (seed.length + 2))));
      if (mutated.length > 0) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      inputs.push(mutated);
    }
  }
  for (let i = 0; i < 4000; i++) {
    inputs.push(Uint8Array.from({ length: 1 + Math.floor(random() * 12) }, () => Math.floor(random() * 256)));
  }
  let accepted = 0;
  for (const input of inputs) {
    const expected = library(input);
    assert.deepEqual(ours(input), expected, input.toHex());
    if (expected !== "refused") accepted++;
  }
  assert.ok(accepted > 500, `${accepted} of ${inputs.length} accepted by both`);
});
