import assert from "node:assert/strict";
import { decodeBase64, decodeRequestBody, encodeResponseBody } from "../../src/est/body_codec.ts";
import { BadRequestError } from "../../src/errors.ts";

const LABELS = ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"];
const der = new Uint8Array(Array.from({ length: 200 }, (_, i) => (i * 37 + 0x30) & 0xff));
der[0] = 0x30;
der[1] = 0x81;
const b64 = der.toBase64();
const enc = (s: string) => new TextEncoder().encode(s);

function rejects400(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof BadRequestError && pattern.test(err.message));
}

Deno.test("codec: base64 with no whitespace, LF, CRLF, spaces, tabs and a trailing newline", () => {
  for (
    const body of [
      b64,
      `${b64}\n`,
      b64.replace(/.{64}/g, "$&\n"),
      b64.replace(/.{76}/g, "$&\r\n") + "\r\n",
      b64.replace(/.{10}/g, "$& \t"),
    ]
  ) {
    assert.deepEqual(decodeRequestBody(enc(body), LABELS), der);
  }
});

Deno.test("codec: url-safe alphabet, missing padding and a trailing NUL (libest) are accepted", () => {
  const odd = new Uint8Array([0xfb, 0xff, 0xfe, 0x01]);
  const standard = odd.toBase64();
  assert.equal(standard, "+//+AQ==");
  assert.deepEqual(decodeBase64("-__-AQ"), odd);
  assert.deepEqual(decodeBase64(`${standard}\0`), odd);
});

Deno.test("codec: whole bodies in every liberal form give the same DER, whichever decoder reads them", () => {
  const unpadded = b64.replace(/=+$/, "");
  assert.notEqual(unpadded, b64, "the sample needs padding to drop");
  for (
    const body of [
      unpadded, // the standard decoder, loosely
      `${unpadded}\n`,
      b64.replaceAll("+", "-").replaceAll("/", "_"), // the URL-safe alphabet
      `${b64}\0`, // libest's trailing NUL
      b64.replace(/.{64}/g, "$&\v"), // a line break the standard decoder does not skip
      `${b64.slice(0, 8)} \r\n ${b64.slice(8)}`,
    ]
  ) {
    assert.deepEqual(decodeRequestBody(enc(body), LABELS), der, JSON.stringify(body.slice(0, 20)));
  }
  // A byte order mark is not text: the body is neither base64 nor DER, as without the fast path.
  rejects400(
    () => decodeRequestBody(new Uint8Array([0xef, 0xbb, 0xbf, ...enc(b64)]), LABELS),
    /neither base64 nor DER/,
  );
  // Padding the standard decoder refuses is read loosely by the checks behind it, as before it.
  assert.deepEqual(decodeRequestBody(enc(`${b64}=`), LABELS), der);
});

Deno.test("codec: a PEM-armoured CSR is accepted, other armour refused", () => {
  const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${
    b64.replace(/.{64}/g, "$&\n")
  }\n-----END CERTIFICATE REQUEST-----\n`;
  assert.deepEqual(decodeRequestBody(enc(pem), LABELS), der);
  const legacy = pem.replaceAll("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST");
  assert.deepEqual(decodeRequestBody(enc(legacy), LABELS), der);
  rejects400(
    () => decodeRequestBody(enc(pem.replaceAll("CERTIFICATE REQUEST", "PRIVATE KEY")), LABELS),
    /Unexpected PEM block "PRIVATE KEY"/,
  );
});

Deno.test("codec: raw DER bodies are accepted (RFC 8951 liberal reading)", () => {
  assert.deepEqual(decodeRequestBody(der, LABELS), der);
});

Deno.test("codec: malformed bodies are 400", () => {
  rejects400(() => decodeRequestBody(new Uint8Array(0), LABELS), /Empty request body/);
  rejects400(() => decodeRequestBody(new Uint8Array([0x01, 0x80, 0xff]), LABELS), /neither base64 nor DER/);
  rejects400(() => decodeRequestBody(enc("MIIB$$$"), LABELS), /Invalid base64/);
  rejects400(() => decodeRequestBody(enc("MIIBa"), LABELS), /truncated/);
  rejects400(() => decodeRequestBody(enc(" \n\t "), LABELS), /truncated/);
  rejects400(() => decodeRequestBody(enc("AB=CD"), LABELS), /Invalid base64/);
});

Deno.test("codec: responses are unwrapped base64 plus a newline by default", () => {
  assert.equal(encodeResponseBody(der, { lineLength: 0, lineEnding: "lf" }), `${b64}\n`);
  assert.equal(encodeResponseBody(der, { lineLength: 0, lineEnding: "crlf" }), `${b64}\r\n`);
});

Deno.test("codec: responses wrap at the configured width and line ending", () => {
  const wrapped = encodeResponseBody(der, { lineLength: 76, lineEnding: "crlf" });
  const lines = wrapped.split("\r\n");
  assert.equal(lines.pop(), "");
  assert.ok(lines.every((l) => l.length <= 76));
  assert.equal(lines[0].length, 76);
  assert.equal(lines.join(""), b64);
  const lf = encodeResponseBody(der, { lineLength: 64, lineEnding: "lf" });
  assert.ok(lf.endsWith("\n") && !lf.includes("\r"));
  assert.equal(lf.split("\n")[0].length, 64);
});
