import "reflect-metadata";
import assert from "node:assert/strict";
import { parseCsr } from "../../src/pki/csr.ts";
import { BadRequestError } from "../../src/errors.ts";
import { generalNameText } from "../../src/pki/subject_alt_name.ts";
import {
  ava,
  craftedCsr,
  dnsNames,
  nameDer,
  nestedSequences,
  oidDer,
  otherName,
  primitive,
  sanExtension,
  simpleName,
  stringDer,
} from "../support/crafted_csr.ts";
import { concatChunks } from "../../src/encoding/bytes.ts";
import { constructed, contextTag, SEQUENCE } from "../../src/der/elements.ts";

/** Strict DER for what the CA copies: the subject Name and the subjectAltName of a CSR. */

const policy = { minRsaBits: 2048 };
const CN = "2.5.4.3";
const alice = simpleName([[CN, "alice"]]);

async function refused(der: Uint8Array<ArrayBuffer>, message: RegExp): Promise<void> {
  await assert.rejects(parseCsr(der, policy), (err: unknown) => {
    assert.ok(err instanceof BadRequestError, String(err));
    assert.match(err.message, message);
    return true;
  });
}

Deno.test("csr names: a subject value of 12,000 nested SEQUENCEs is refused without reading it", async () => {
  const subject = nameDer([[ava(CN, nestedSequences(12_000))]]);
  const started = performance.now();
  await refused(await craftedCsr(subject), /^Invalid CSR: the subject is not a DER-encoded Name/);
  assert.ok(performance.now() - started < 5_000);
});

Deno.test("csr names: an RDN whose attributes are not in DER SET order is refused", async () => {
  const o = ava("2.5.4.10", stringDer(12, "Example"));
  const cn = ava(CN, stringDer(12, "alice"));
  // Sorted by encoding the CN (OID ...04 03) comes before the O (...04 0a).
  await parseCsr(await craftedCsr(nameDer([[cn, o]])), policy);
  await refused(await craftedCsr(nameDer([[o, cn]])), /^Invalid CSR: the subject is not a DER-encoded Name/);
});

Deno.test("csr names: a length in long form where the short one fits is not DER", async () => {
  // SEQUENCE { SET { SEQUENCE { OID cn, UTF8String "a" } } } with the UTF8String's length as 81 01.
  const value = new Uint8Array([0x0c, 0x81, 0x01, 0x61]);
  await refused(await craftedCsr(nameDer([[ava(CN, value)]])), /not a DER-encoded Name/);
});

Deno.test("csr names: NUL, CR and LF in an attribute are refused", async () => {
  for (const text of ["alice\u0000evil", "alice\r\nX-Injected: 1", "alice\n", "\u0085x"]) {
    await refused(
      await craftedCsr(simpleName([[CN, text]])),
      /^Invalid CSR: a subject attribute value holds a control character$/,
    );
  }
});

Deno.test("csr names: only directory strings of sane length; PrintableString and IA5String in their alphabets", async () => {
  const notString = nameDer([[ava(CN, primitive(4, new Uint8Array([0x61])))]]);
  await refused(await craftedCsr(notString), /not a directory string/);
  await refused(await craftedCsr(simpleName([[CN, "a".repeat(257)]])), /longer than 256 characters/);
  await parseCsr(await craftedCsr(simpleName([[CN, "a".repeat(256)]])), policy);
  await refused(await craftedCsr(simpleName([[CN, ""]])), /empty/);
  await refused(await craftedCsr(nameDer([[ava(CN, stringDer(19, "a*b"))]])), /characters its string type/);
  await refused(await craftedCsr(nameDer([[ava(CN, stringDer(22, "café"))]])), /characters its string type/);
  const invalidUtf8 = nameDer([[ava(CN, primitive(12, new Uint8Array([0xc3])))]]);
  await refused(await craftedCsr(invalidUtf8), /not valid in its string type/);
  const many = Array.from({ length: 17 }, (_, i) => ["2.5.4.11", `u${i}`] as [string, string]);
  await refused(await craftedCsr(simpleName(many)), /more than 16 RDNs/);
  const wide = Array.from({ length: 9 }, (_, i) => ava("2.5.4.11", stringDer(12, `u${i}`)));
  await refused(await craftedCsr(nameDer([wide])), /more than 8 attributes|not a DER-encoded Name/);
});

Deno.test("csr names: a SAN with trailing bytes hiding a second DNS name is refused", async () => {
  const hidden = concatChunks([dnsNames("alice"), dnsNames("victim.example.com")]);
  await refused(
    await craftedCsr(alice, [sanExtension(hidden)]),
    /^Failed to decode SAN extension in CSR\. Reason: the names are not one DER element \(or bytes follow them\)\.$/,
  );
  await refused(
    await craftedCsr(alice, [sanExtension(dnsNames("alice")), sanExtension(dnsNames("victim.example.com"))]),
    /more than one subjectAltName/,
  );
});

Deno.test("csr names: every GeneralName is read with its type, otherNames included", async () => {
  const upn = otherName("1.3.6.1.4.1.311.20.2.3", stringDer(12, "alice@example"));
  const krb = otherName(
    "1.3.6.1.5.2.2",
    constructed(SEQUENCE, [constructed(contextTag(0), [stringDer(27, "R")])]),
  );
  const names = constructed(SEQUENCE, [
    upn,
    krb,
    primitive(1, new TextEncoder().encode("a@example"), true),
    primitive(2, new TextEncoder().encode("alice"), true),
    primitive(6, new TextEncoder().encode("https://x.example/"), true),
    primitive(7, new Uint8Array([192, 0, 2, 1]), true),
    primitive(7, new Uint8Array([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]), true),
    primitive(8, oidDer("1.2.3.4").subarray(2), true),
    constructed(contextTag(4), [simpleName([[CN, "x"]])]),
    constructed(contextTag(5), [constructed(contextTag(1), [stringDer(12, "p")])]),
  ]);
  const csr = await parseCsr(await craftedCsr(alice, [sanExtension(names)]), policy);
  assert.deepEqual(csr.san?.names.map(generalNameText), [
    "otherName:1.3.6.1.4.1.311.20.2.3=alice@example",
    `otherName:1.3.6.1.5.2.2=#${
      constructed(SEQUENCE, [constructed(contextTag(0), [stringDer(27, "R")])]).toHex()
    }`,
    "email:a@example",
    "dns:alice",
    "url:https://x.example/",
    "ip:192.0.2.1",
    "ip:2001:db8::1",
    "id:1.2.3.4",
    "dn:CN=x",
    "edi:#a1030c0170",
  ]);
  assert.equal(csr.san?.critical, false);
});

Deno.test("csr names: SAN entries that do not read are refused, naming why", async () => {
  const cases: [Uint8Array<ArrayBuffer>, RegExp][] = [
    [dnsNames("alice\u0000.victim.example"), /control or non-ASCII/],
    [dnsNames(""), /empty/],
    [constructed(SEQUENCE, []), /names nothing/],
    [constructed(SEQUENCE, [primitive(7, new Uint8Array([1, 2, 3]), true)]), /neither 4 nor 16/],
    [constructed(SEQUENCE, [primitive(8, new Uint8Array([0x80, 1]), true)]), /not an object identifier/],
    [constructed(SEQUENCE, [primitive(2, new Uint8Array([0x61]))]), /not a GeneralName/],
    [constructed(SEQUENCE, [constructed(contextTag(2), [])]), /wrong form/],
    [constructed(SEQUENCE, [constructed(contextTag(0), [oidDer("1.2.3")])]), /otherName is not/],
    [constructed(SEQUENCE, [constructed(contextTag(4), [primitive(5, new Uint8Array())])]), /dn name is not/],
    [constructed(SEQUENCE, [otherName("1.2.3", nestedSequences(12_000))]), /not DER-encoded GeneralNames/],
    [constructed(SEQUENCE, Array.from({ length: 65 }, () => dnsNames("alice").subarray(2))), /more than 64/],
  ];
  for (const [names, reason] of cases) await refused(await craftedCsr(alice, [sanExtension(names)]), reason);
  const criticalFalse = constructed(SEQUENCE, [
    oidDer("2.5.29.17"),
    primitive(1, new Uint8Array([0])),
    primitive(4, dnsNames("alice")),
  ]);
  await refused(
    await craftedCsr(alice, [criticalFalse]),
    /^Failed to decode SAN extension in CSR\. Reason: the extension is not a DER-encoded Extension\.$/,
  );
});
