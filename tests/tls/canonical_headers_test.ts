import assert from "node:assert/strict";
import { canonicalHeaderName } from "../../src/tls/canonical_headers.ts";

Deno.test("canonical header names: Title-Case with the well-known exceptions", () => {
  assert.equal(canonicalHeaderName("content-type"), "Content-Type");
  assert.equal(canonicalHeaderName("CONTENT-TRANSFER-ENCODING"), "Content-Transfer-Encoding");
  assert.equal(canonicalHeaderName("www-authenticate"), "WWW-Authenticate");
  assert.equal(canonicalHeaderName("x-request-id"), "X-Request-ID");
  assert.equal(canonicalHeaderName("retry-after"), "Retry-After");
  assert.equal(canonicalHeaderName("etag"), "ETag");
  assert.equal(canonicalHeaderName("allow"), "Allow");
});

Deno.test("canonical header names: the same answer on every call, however many names pass", () => {
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 300; i++) {
      assert.equal(canonicalHeaderName(`x-custom-${i}-name`), `X-Custom-${i}-Name`);
    }
    assert.equal(canonicalHeaderName("content-TYPE"), "Content-Type");
  }
});
