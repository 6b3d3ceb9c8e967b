import assert from "node:assert/strict";
import {
  ASN1BitString,
  ASN1Boolean,
  ASN1Class,
  ASN1Form,
  ASN1GeneralizedTime,
  ASN1Integer,
  ASN1Null,
  ASN1ObjectIdentifier,
  ASN1OctetString,
  ASN1UTCTime,
  encodeASN1,
  encodeObjectIdentifier,
} from "@oslojs/asn1";
import {
  BIT_STRING,
  constructed,
  contextTag,
  der,
  elementTree,
  encodeTree,
  OCTET_STRING,
  SEQUENCE,
  SET,
  treeOf,
  unsignedInteger,
} from "../../src/der/elements.ts";

/** What @oslojs/asn1 encodes for the same constructed element. */
function byLibrary(cls: ASN1Class, tag: number, contents: Uint8Array): Uint8Array {
  return encodeASN1({ class: cls, tag, form: ASN1Form.Constructed, contents: () => contents });
}

Deno.test("constructed: byte for byte what @oslojs/asn1 encodes, at every length-octet boundary", () => {
  const sizes = [0, 1, 127, 128, 129, 255, 256, 257, 65_535, 65_536, 65_537, 200_000];
  for (const size of sizes) {
    const contents = crypto.getRandomValues(new Uint8Array(size).subarray(0, Math.min(size, 65_536)));
    const whole = new Uint8Array(size);
    whole.set(contents);
    // The contents split into elements of assorted sizes.
    const parts: Uint8Array<ArrayBuffer>[] = [];
    for (let at = 0, step = 1; at < size; at += step, step = step * 3 + 1) {
      parts.push(whole.slice(at, Math.min(size, at + step)));
    }
    for (const [tag, cls] of [[SEQUENCE, ASN1Class.Universal], [SET, ASN1Class.Universal]] as const) {
      assert.deepEqual(
        constructed(tag, parts),
        byLibrary(cls, tag.tag, whole),
        `${size} octets, tag ${tag.tag}`,
      );
    }
    assert.deepEqual(
      constructed(contextTag(3), parts),
      byLibrary(ASN1Class.ContextSpecific, 3, whole),
      `${size} octets, [3]`,
    );
  }
});

Deno.test("constructed: high tag numbers are refused rather than mis-encoded", () => {
  assert.throws(() => constructed(contextTag(31), []), RangeError);
  assert.deepEqual(
    constructed(contextTag(30), []),
    byLibrary(ASN1Class.ContextSpecific, 30, new Uint8Array()),
  );
  assert.deepEqual(
    constructed({ class: ASN1Class.Application, tag: 2 }, []),
    byLibrary(ASN1Class.Application, 2, new Uint8Array()),
  );
  assert.deepEqual(
    constructed({ class: ASN1Class.Private, tag: 2 }, []),
    byLibrary(ASN1Class.Private, 2, new Uint8Array()),
  );
});

Deno.test("der: byte for byte what @oslojs/asn1 encodes, primitive and constructed, low and high tags", () => {
  const cases = [
    new ASN1Integer(0n),
    new ASN1Integer(-129n),
    new ASN1Integer(2n ** 200n + 1n),
    new ASN1OctetString(new Uint8Array(300).fill(7)),
    new ASN1BitString(new Uint8Array(70_000), 560_000),
    new ASN1UTCTime(26, 12, 1, 19, 30, 0),
    new ASN1GeneralizedTime(2050, 1, 1, 0, 0, 0, 0),
    new ASN1ObjectIdentifier(encodeObjectIdentifier("1.2.840.113549.1.9.14")),
    new ASN1Null(),
    new ASN1Boolean(true),
    { class: ASN1Class.ContextSpecific, tag: 2, form: ASN1Form.Primitive, contents: () => new Uint8Array(3) },
    {
      class: ASN1Class.ContextSpecific,
      tag: 40,
      form: ASN1Form.Primitive,
      contents: () => new Uint8Array(3),
    },
  ];
  for (const element of cases) assert.deepEqual(der(element), encodeASN1(element));
});

Deno.test("elementTree: an element inside a tree encodes as @oslojs/asn1 encodes it, low tags only", () => {
  const cases = [
    new ASN1Integer(2n ** 200n + 1n),
    new ASN1OctetString(new Uint8Array(300).fill(7)),
    new ASN1UTCTime(26, 12, 1, 19, 30, 0),
    new ASN1GeneralizedTime(2050, 1, 1, 0, 0, 0, 0),
    unsignedInteger(new Uint8Array([0x80, 1])),
    {
      class: ASN1Class.ContextSpecific,
      tag: 2,
      form: ASN1Form.Constructed,
      contents: () => der(new ASN1Null()),
    },
  ];
  for (const element of cases) {
    assert.deepEqual(encodeTree(elementTree(element)), encodeASN1(element));
    assert.deepEqual(
      encodeTree(treeOf(SEQUENCE, [elementTree(element), der(new ASN1Null())])),
      byLibrary(ASN1Class.Universal, 16, new Uint8Array([...encodeASN1(element), 0x05, 0x00])),
    );
  }
  const highTag = {
    class: ASN1Class.ContextSpecific,
    tag: 40,
    form: ASN1Form.Primitive,
    contents: () => new Uint8Array(1),
  };
  assert.throws(() => elementTree(highTag), RangeError);
});

Deno.test("unsignedInteger: byte for byte what ASN1Integer encodes for the same number", () => {
  const cases = [
    "",
    "00",
    "0000",
    "01",
    "7f",
    "80",
    "ff",
    "0080",
    "000001",
    "4aaa",
    ...Array.from(
      { length: 300 },
      (_, i) => crypto.getRandomValues(new Uint8Array(1 + (i % 20))).toHex(),
    ),
  ];
  for (const hex of cases) {
    const number = hex === "" ? 0n : BigInt(`0x${hex}`);
    assert.deepEqual(der(unsignedInteger(Uint8Array.fromHex(hex))), der(new ASN1Integer(number)), hex);
  }
});

Deno.test("encodeTree: nested trees in one buffer, byte for byte what encoding each level in turn gives", () => {
  for (const size of [0, 1, 100, 127, 128, 300, 70_000]) {
    const big = crypto.getRandomValues(new Uint8Array(Math.min(size, 65_536)));
    const value = new Uint8Array(size);
    value.set(big);
    const small = der(new ASN1Integer(5n));
    const tree = treeOf(SEQUENCE, [
      small,
      treeOf(contextTag(3), [treeOf(SEQUENCE, [small, treeOf(OCTET_STRING, [value], ASN1Form.Primitive)])]),
      treeOf(BIT_STRING, [new Uint8Array(1), value], ASN1Form.Primitive),
      treeOf(SET, []),
    ]);
    const levels = constructed(SEQUENCE, [
      small,
      constructed(contextTag(3), [constructed(SEQUENCE, [small, der(new ASN1OctetString(value))])]),
      der(new ASN1BitString(value, value.byteLength * 8)),
      constructed(SET, []),
    ]);
    const encoded = encodeTree(tree);
    assert.deepEqual(encoded, levels, `${size} octets`);
    assert.equal(tree.encodedLength, encoded.byteLength);
  }
  assert.throws(() => treeOf(contextTag(31), []), RangeError);
});
