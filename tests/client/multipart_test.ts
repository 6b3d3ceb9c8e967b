import assert from "node:assert/strict";
import { parseMultipartMixed } from "../../src/client/multipart.ts";

const enc = (text: string) => new TextEncoder().encode(text);

Deno.test("multipart/mixed: preamble, LF or CRLF, padding after delimiters, a part without headers", () => {
  const body = "preamble to ignore\r\n--b  \r\nContent-Type: a/b\r\nX-Other:  v \r\n\r\nfirst\r\nbody\r\n" +
    "--b\n\nsecond\n--b--\r\nepilogue";
  assert.deepEqual(parseMultipartMixed('multipart/mixed; boundary="b"', enc(body)), [
    { headers: { "content-type": "a/b", "x-other": "v" }, body: "first\r\nbody" },
    { headers: {}, body: "second" },
  ]);
});

Deno.test("multipart/mixed: a delimiter only counts at a line start", () => {
  const body = "--b\r\nContent-Type: t\r\n\r\nx--b y\r\n--b--";
  assert.deepEqual(parseMultipartMixed("multipart/mixed; boundary=b", enc(body)), [
    { headers: { "content-type": "t" }, body: "x--b y" },
  ]);
});

Deno.test("multipart/mixed: a part of headers only has an empty body", () => {
  const body = "--b\r\nContent-Type: t\r\n--b--";
  assert.deepEqual(parseMultipartMixed("multipart/mixed; boundary=b", enc(body)), [
    { headers: { "content-type": "t" }, body: "" },
  ]);
});

Deno.test("multipart/mixed: bad boundaries and missing headers are refused", () => {
  for (
    const type of [undefined, "text/plain", "multipart/mixed", `multipart/mixed; boundary=${"x".repeat(71)}`]
  ) {
    assert.throws(() => parseMultipartMixed(type, enc("--x--")), /multipart\/mixed|boundary/);
  }
});
