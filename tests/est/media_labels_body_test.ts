import assert from "node:assert/strict";
import {
  NotFoundError,
  PayloadTooLargeError,
  RequestTimeoutError,
  UnsupportedMediaTypeError,
} from "../../src/errors.ts";
import { resolveLabel } from "../../src/est/labels.ts";
import { essence } from "../../src/encoding/media_type.ts";
import { requireCmcRequestMediaType, requireMediaType } from "../../src/est/media_types.ts";
import { readLimitedBody } from "../../src/est/request_body.ts";

Deno.test("media types: essence ignores case and parameters", () => {
  assert.equal(essence("Application/PKCS10; charset=x"), "application/pkcs10");
  assert.equal(essence(""), undefined);
  assert.equal(essence(null), undefined);
  requireMediaType("application/pkcs10", "application/pkcs10");
  assert.throws(() => requireMediaType(undefined, "application/pkcs10"), UnsupportedMediaTypeError);
  assert.throws(
    () => requireMediaType("text/plain", "application/pkcs10"),
    /Unsupported Content-Type "text\/plain"; expected application\/pkcs10/,
  );
});

Deno.test("labels: configured labels resolve; unknown, reserved and malformed ones are 404", () => {
  const labels = { iot: { validity_days: 7 }, cacerts: {} };
  assert.equal(resolveLabel(undefined, labels), undefined);
  assert.deepEqual(resolveLabel("iot", labels), { validity_days: 7 });
  for (const bad of ["nope", "cacerts", "..", "a/b", "x".repeat(65), "-lead", "sp ace", "%00"]) {
    assert.throws(() => resolveLabel(bad, labels), NotFoundError, bad);
  }
});

Deno.test("labels: a backend may serve undeclared labels; malformed and reserved ones stay 404", () => {
  const labels = { iot: { validity_days: 7 } };
  const authorities = { acceptsUndeclaredLabel: (label: string) => /^[0-9a-f-]{36}$/.test(label) };
  const uuid = "5f6a7b8c-1d2e-4f30-8a9b-0c1d2e3f4a5b";
  assert.equal(resolveLabel(uuid, labels, authorities), undefined);
  assert.deepEqual(resolveLabel("iot", labels, authorities), { validity_days: 7 });
  assert.throws(() => resolveLabel("other", labels, authorities), NotFoundError);
  assert.throws(() => resolveLabel(uuid, labels, {}), NotFoundError, "a backend without the method");
  const everything = { acceptsUndeclaredLabel: () => true };
  for (const bad of ["fullcmc", "a/b", "%00", "x".repeat(65)]) {
    assert.throws(() => resolveLabel(bad, labels, everything), NotFoundError, bad);
  }
});

Deno.test("media types: full CMC requests need application/pkcs7-mime with smime-type=CMC-request", () => {
  for (
    const ok of [
      "application/pkcs7-mime; smime-type=CMC-request",
      "Application/PKCS7-MIME;smime-type=cmc-request",
      'application/pkcs7-mime; name=req.p7m; smime-type="CMC-Request"',
    ]
  ) requireCmcRequestMediaType(ok);
  for (const missing of [undefined, null, "", " "]) {
    assert.throws(
      () => requireCmcRequestMediaType(missing),
      /^UnsupportedMediaTypeError|Content-Type header is required$/,
    );
  }
  for (
    const bad of [
      "application/pkcs7-mime",
      "application/pkcs7-mime; smime-type=certs-only",
      "application/pkcs10; smime-type=CMC-request",
      "application/pkcs7-mime; smime-type",
    ]
  ) {
    assert.throws(
      () => requireCmcRequestMediaType(bad),
      (err: Error) =>
        err instanceof UnsupportedMediaTypeError &&
        err.message ===
          `Unsupported Content-Type "${bad}"; expected application/pkcs7-mime; smime-type=CMC-request`,
    );
  }
});

function streamOf(chunks: string[]): ReadableStream<Uint8Array<ArrayBuffer>> {
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      controller.close();
    },
  });
}

Deno.test("request body: sized and streamed bodies are read whole under the limit", async () => {
  const sized = new Request("https://x/", { method: "POST", body: "hello" });
  assert.equal(new TextDecoder().decode(await readLimitedBody(sized, 10, 1000)), "hello");
  const streamed = new Request(
    "https://x/",
    { method: "POST", body: streamOf(["he", "llo"]), duplex: "half" } as RequestInit,
  );
  assert.equal(new TextDecoder().decode(await readLimitedBody(streamed, 5, 1000)), "hello");
  assert.equal((await readLimitedBody(new Request("https://x/"), 5, 1000)).byteLength, 0);
});

Deno.test("request body: over the limit is 413, by header or by counting", async () => {
  const declared = new Request("https://x/", {
    method: "POST",
    body: "0123456789",
    headers: { "content-length": "10" },
  });
  await assert.rejects(readLimitedBody(declared, 5, 1000), PayloadTooLargeError);
  const streamed = new Request(
    "https://x/",
    { method: "POST", body: streamOf(["0123", "4567"]), duplex: "half" } as RequestInit,
  );
  await assert.rejects(readLimitedBody(streamed, 5, 1000), PayloadTooLargeError);
});

Deno.test("request body: a body that stops arriving is 408 after the timeout", async () => {
  let cancelled = false;
  const stalled = new ReadableStream<Uint8Array<ArrayBuffer>>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode("MII"));
    },
    cancel() {
      cancelled = true;
    },
  });
  const request = new Request("https://x/", { method: "POST", body: stalled, duplex: "half" } as RequestInit);
  await assert.rejects(readLimitedBody(request, 100, 50), (err: unknown) => {
    assert.ok(err instanceof RequestTimeoutError);
    assert.equal(err.message, "The request body did not arrive within 0.05 seconds");
    return true;
  });
  assert.ok(cancelled, "the stream is released");
});
