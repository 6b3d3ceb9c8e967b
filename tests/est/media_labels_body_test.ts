import assert from "node:assert/strict";
import {
  ClientAbortError,
  NotFoundError,
  PayloadTooLargeError,
  RequestTimeoutError,
  UnsupportedMediaTypeError,
} from "../../src/errors.ts";
import { RESERVED_LABELS, resolveLabel } from "../../src/est/labels.ts";
import { essence } from "../../src/encoding/media_type.ts";
import { requireCmcRequestMediaType, requireMediaType } from "../../src/est/media_types.ts";
import { readIncomingBody } from "../../src/est/request_body.ts";
import { Agent, createServer, type IncomingMessage, request } from "node:http";
import { PassThrough } from "node:stream";

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
  const labels = { iot: { validityDays: 7 }, cacerts: {} };
  assert.equal(resolveLabel(undefined, labels), undefined);
  assert.deepEqual(resolveLabel("iot", labels), { validityDays: 7 });
  for (const bad of ["nope", "cacerts", "..", "a/b", "x".repeat(65), "-lead", "sp ace", "%00"]) {
    assert.throws(() => resolveLabel(bad, labels), NotFoundError, bad);
  }
});

Deno.test("labels: every reserved name is refused, even when declared or accepted by the backend", () => {
  assert.deepEqual([...RESERVED_LABELS].sort(), [
    "cacerts",
    "csrattrs",
    "fullcmc",
    "info",
    "serverkeygen",
    "simpleenroll",
    "simplereenroll",
  ]);
  const everything = { acceptsUndeclaredLabel: () => true };
  for (const name of RESERVED_LABELS) {
    assert.throws(() => resolveLabel(name, { [name]: {} }, everything), NotFoundError, name);
  }
});

Deno.test("labels: a backend may serve undeclared labels; malformed and reserved ones stay 404", () => {
  const labels = { iot: { validityDays: 7 } };
  const authorities = { acceptsUndeclaredLabel: (label: string) => /^[0-9a-f-]{36}$/.test(label) };
  const uuid = "5f6a7b8c-1d2e-4f30-8a9b-0c1d2e3f4a5b";
  assert.equal(resolveLabel(uuid, labels, authorities), undefined);
  assert.deepEqual(resolveLabel("iot", labels, authorities), { validityDays: 7 });
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

/** A node request stream as node:http hands it over: `chunks` arrive one by one, then it ends (or stalls). */
function incomingOf(chunks: string[], headers: Record<string, string> = {}, end = true): IncomingMessage {
  const stream = new PassThrough();
  for (const c of chunks) stream.write(c);
  if (end) stream.end();
  return Object.assign(stream, { headers }) as unknown as IncomingMessage;
}

Deno.test("request body: sized and chunked bodies are read whole, exactly at the limit too", async () => {
  const text = async (body: Promise<Uint8Array>) => new TextDecoder().decode(await body);
  assert.equal(
    await text(readIncomingBody(incomingOf(["hello"], { "content-length": "5" }), 10, 1000)),
    "hello",
  );
  assert.equal(await text(readIncomingBody(incomingOf(["he", "llo"]), 5, 1000)), "hello");
  assert.equal((await readIncomingBody(incomingOf([]), 5, 1000)).byteLength, 0);
});

Deno.test("request body: one byte over the limit is 413, by header or by counting", async () => {
  await assert.rejects(
    readIncomingBody(incomingOf(["012345"], { "content-length": "6" }), 5, 1000),
    PayloadTooLargeError,
  );
  await assert.rejects(readIncomingBody(incomingOf(["0123", "45"]), 5, 1000), PayloadTooLargeError);
});

Deno.test("request body: a body that stops arriving is 408; one cut off is a client abort (499)", async () => {
  const stalled = incomingOf(["MII"], {}, false);
  await assert.rejects(readIncomingBody(stalled, 100, 50), (err: unknown) => {
    assert.ok(err instanceof RequestTimeoutError);
    assert.equal(err.message, "The request body did not arrive within 0.05 seconds");
    return true;
  });
  const cut = incomingOf(["MII"], {}, false);
  const reading = readIncomingBody(cut, 100, 5000);
  (cut as unknown as PassThrough).destroy();
  await assert.rejects(
    reading,
    (err: unknown) =>
      err instanceof ClientAbortError && err.status === 499 && /closed the connection/.test(err.message),
  );
});

/** A stream node:http has finished receiving (`complete`), whose reading must not wait for events. */
function receivedWhole(chunks: string[]): IncomingMessage {
  const stream = incomingOf(chunks);
  return Object.assign(stream, {
    complete: true,
    on: () => {
      throw new Error("a body received whole is read without listeners");
    },
  }) as unknown as IncomingMessage;
}

Deno.test("request body: one received whole is taken from the stream's buffer, within the limit", async () => {
  const text = async (body: Promise<Uint8Array>) => new TextDecoder().decode(await body);
  assert.equal(await text(readIncomingBody(receivedWhole(["hel", "lo"]), 5, 1000)), "hello");
  assert.equal((await readIncomingBody(receivedWhole([]), 5, 1000)).byteLength, 0);
  await assert.rejects(readIncomingBody(receivedWhole(["0123", "45"]), 5, 1000), PayloadTooLargeError);
});

Deno.test("request body: behind node:http, a body that came with its headers is read at once, keep-alive intact", async () => {
  const seen: { complete: boolean; body: string }[] = [];
  const server = createServer(async (req, res) => {
    await Promise.resolve(); // as the app reaches the body after its middlewares
    const complete = req.complete;
    const body = new TextDecoder().decode(await readIncomingBody(req, 100, 1000));
    seen.push({ complete, body });
    res.end(`got ${body.length}`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const post = (body: string) =>
    new Promise<string>((resolve, reject) => {
      const req = request({ port, host: "127.0.0.1", method: "POST", agent }, (res) => {
        let text = "";
        res.on("data", (d) => text += d).on("end", () => resolve(text));
      });
      req.on("error", reject);
      req.end(body);
    });
  try {
    assert.equal(await post("first body"), "got 10");
    assert.equal(await post("second"), "got 6");
    assert.deepEqual(seen, [{ complete: true, body: "first body" }, { complete: true, body: "second" }]);
  } finally {
    agent.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
