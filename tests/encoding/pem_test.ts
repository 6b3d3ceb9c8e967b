import assert from "node:assert/strict";
import { equalBytes } from "../../src/encoding/bytes.ts";
import { pemBlocks, pemDerOf, toPem } from "../../src/encoding/pem.ts";

Deno.test("pem: blocks round-trip, in order, with text around and between them", () => {
  const a = new Uint8Array([1, 2, 3]);
  const b = new Uint8Array(100).fill(7);
  const text = `subject=CN x\n${toPem(a, "CERTIFICATE")}\nnoise\n${toPem(b, "PRIVATE KEY")}${
    toPem(b, "CERTIFICATE")
  }`;
  assert.deepEqual(pemBlocks(text).map((block) => block.label), [
    "CERTIFICATE",
    "PRIVATE KEY",
    "CERTIFICATE",
  ]);
  const certs = pemDerOf(text, "CERTIFICATE");
  assert.equal(certs.length, 2);
  assert.ok(equalBytes(certs[0], a) && equalBytes(certs[1], b));
  assert.match(
    toPem(b, "X"),
    /^-----BEGIN X-----\n(?:[A-Za-z0-9+/]{64}\n){2}[A-Za-z0-9+/=]{8}\n-----END X-----\n$/,
  );
});

Deno.test("pem: mismatched, unterminated and oversized armour yields no block", () => {
  assert.deepEqual(pemBlocks("-----BEGIN A-----\nAAAA\n-----END B-----\n"), []);
  assert.deepEqual(pemBlocks("-----BEGIN A-----\nAAAA\n"), []);
  assert.deepEqual(pemBlocks("-----BEGIN A"), []);
  assert.deepEqual(pemBlocks("-----BEGIN A-----\nAAAA\n-----END A"), []);
  assert.deepEqual(pemBlocks(`-----BEGIN ${"L".repeat(65)}-----\n-----END ${"L".repeat(65)}-----`), []);
  // A broken block does not hide a good one after it.
  const good = toPem(new Uint8Array([9]), "A");
  assert.equal(pemBlocks(`-----BEGIN A-----\n-----END B-----\n${good}`).length, 1);
});

Deno.test("pem: a megabyte of BEGIN lines without END is scanned in one pass", () => {
  const hostile = "-----BEGIN A-----\n".repeat(60_000);
  const started = performance.now();
  assert.deepEqual(pemBlocks(hostile), []);
  assert.deepEqual(pemBlocks(`${"-----BEGIN A-----\n-----END B-----\n".repeat(30_000)}`), []);
  // Not a timing assertion of the suite's speed: a quadratic scan takes minutes here, a linear one milliseconds.
  assert.ok(performance.now() - started < 5_000);
});

Deno.test("bytes: equalBytes compares lengths and contents", () => {
  assert.ok(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2]).buffer));
  assert.ok(!equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3])));
  assert.ok(!equalBytes(new Uint8Array([1]), new Uint8Array([1, 2])));
});
