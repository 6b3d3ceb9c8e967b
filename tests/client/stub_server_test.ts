import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { ServerResponse } from "node:http";
import { encodeCertsOnly } from "../../src/pki/pkcs7.ts";
import { runClientCaptured } from "../support/client_io.ts";
import { startHttpsStub, type StubHandler } from "../support/https_stub.ts";
import { createStubCa } from "../support/stub_ca.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

/**
 * The client against small HTTPS stubs that answer what the real server may
 * not (yet): 202 with Retry-After, serverkeygen multipart, hostile bodies.
 */

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-client-stub-" });
const ca = await createStubCa();

function fileIn(name: string): string {
  return join(tmp, `${crypto.randomUUID()}-${name}`);
}

function answer(res: ServerResponse, status: number, headers: Record<string, string>, body = ""): void {
  res.writeHead(status, { ...headers, "Content-Length": String(new TextEncoder().encode(body).byteLength) });
  res.end(body);
}

async function withStub<T>(handler: StubHandler, body: (origin: string, caPath: string) => Promise<T>) {
  const stub = await startHttpsStub(handler);
  try {
    return { result: await body(stub.origin, stub.caPath), requests: stub.requests };
  } finally {
    await stub.close();
  }
}

function enrollArgs(origin: string, caPath: string, more: string[] = []): string[] {
  return [
    "enroll",
    "--server",
    origin,
    "--cacert",
    caPath,
    "--user",
    "u",
    "--password",
    "p",
    "--cn",
    "dev",
    ...more,
  ];
}

Deno.test("client: 202 is retried with the same CSR after Retry-After seconds, then 200", opts, async () => {
  const cert = fileIn("cert.pem");
  const key = fileIn("key.pem");
  const { result, requests } = await withStub((i, _req, res, body) => {
    if (i < 2) return answer(res, 202, { "Retry-After": "1" }, "pending approval\n");
    void ca.issueForCsr(body).then((b64) =>
      answer(res, 200, { "Content-Type": "application/pkcs7-mime; smime-type=certs-only" }, `${b64}\n`)
    );
  }, (origin, caPath) => runClientCaptured(enrollArgs(origin, caPath, ["--key-out", key, "--out", cert])));
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.sleeps, [1000, 1000]);
  assert.equal(requests.length, 3);
  assert.equal(new Set(requests.map((r) => r.body)).size, 1, "the same CSR each time");
  assert.match(result.stderr, /pending: the server asks to retry in 1 s/);
  assert.equal((await Deno.stat(key)).mode! & 0o777, 0o600);
  const pub = (args: string[]) => runOk("openssl", args).then((r) => r.text);
  assert.equal(
    await pub(["x509", "-in", cert, "-noout", "-pubkey"]),
    await pub(["pkey", "-in", key, "-pubout"]),
  );
});

Deno.test("client: Retry-After as an HTTP-date is honoured", opts, async () => {
  const { result } = await withStub(
    (i, _req, res) => {
      if (i === 0) {
        return answer(res, 202, { "Retry-After": new Date(Date.now() + 2000).toUTCString() });
      }
      answer(res, 403, { "Content-Type": "text/plain" }, "rejected by the operator\n");
    },
    (origin, caPath) =>
      runClientCaptured(enrollArgs(origin, caPath, ["--key-out", fileIn("k"), "--out", fileIn("c")])),
  );
  assert.equal(result.code, 1);
  assert.equal(result.sleeps.length, 1);
  assert.ok(result.sleeps[0] >= 1000 && result.sleeps[0] <= 3000, `waited ${result.sleeps[0]} ms`);
  assert.match(result.stderr, /HTTP 403: the server refused by policy: rejected by the operator\n$/);
});

Deno.test(
  "client: a wait beyond --max-wait gives up with exit 1 and keeps the key for a retry",
  opts,
  async () => {
    const key = fileIn("key.pem");
    const { result, requests } = await withStub(
      (_i, _req, res) => answer(res, 202, { "Retry-After": "3600" }),
      (origin, caPath) =>
        runClientCaptured(
          enrollArgs(origin, caPath, ["--max-wait", "60", "--key-out", key, "--out", fileIn("c")]),
        ),
    );
    assert.equal(result.code, 1);
    assert.equal(requests.length, 1);
    assert.deepEqual(result.sleeps, []);
    assert.match(result.stderr, /still pending: the server asks to retry in 3600 s, beyond --max-wait 60 s/);
    assert.match(result.stderr, /run again with --reuse-key/);
    assert.equal((await Deno.stat(key)).mode! & 0o777, 0o600);
  },
);

Deno.test(
  "client: a 202 without Retry-After waits the default and counts against --max-wait",
  opts,
  async () => {
    const { result } = await withStub(
      (_i, _req, res) => answer(res, 202, {}),
      (origin, caPath) =>
        runClientCaptured(
          enrollArgs(origin, caPath, ["--max-wait", "5", "--key-out", fileIn("k"), "--out", fileIn("c")]),
        ),
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /retry in 10 s, beyond --max-wait 5 s/);
  },
);

function multipart(boundary: string, parts: [string, string][], eol = "\r\n"): string {
  return parts.map(([type, b64]) =>
    `--${boundary}${eol}Content-Type: ${type}${eol}Content-Transfer-Encoding: base64${eol}${eol}${b64}${eol}`
  ).join("") + `--${boundary}--${eol}`;
}

Deno.test("client: serverkeygen reads the multipart/mixed answer and writes the key 0600", opts, async () => {
  const issued = await ca.issueWithNewKey();
  for (const [format, eol] of [["pem", "\r\n"], ["der", "\n"]] as const) {
    const cert = fileIn(`cert.${format}`);
    const key = fileIn(`key.${format}`);
    const { result, requests } = await withStub((_i, _req, res) =>
      answer(
        res,
        200,
        { "Content-Type": 'multipart/mixed; boundary="est boundary"' },
        multipart("est boundary", [
          ["application/pkcs8", issued.pkcs8.toBase64().replace(/.{64}/g, "$&\r\n")],
          ["application/pkcs7-mime; smime-type=certs-only", issued.pkcs7.toBase64()],
        ], eol),
      ), (origin, caPath) =>
      runClientCaptured([
        "serverkeygen",
        "--server",
        origin,
        "--cacert",
        caPath,
        "--label",
        "iot",
        "--user",
        "u",
        "--password",
        "p",
        "--cn",
        "dev",
        ...(format === "der" ? ["--der"] : []),
        "--key-out",
        key,
        "--out",
        cert,
      ]));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(requests[0].path, "/.well-known/est/iot/serverkeygen");
    assert.equal((await Deno.stat(key)).mode! & 0o777, 0o600);
    const inform = format.toUpperCase();
    const keyPub = await runOk("openssl", ["pkey", "-inform", inform, "-in", key, "-pubout"]);
    const certPub = await runOk("openssl", ["x509", "-inform", inform, "-in", cert, "-noout", "-pubkey"]);
    assert.equal(keyPub.text, certPub.text);
  }
});

Deno.test("client: serverkeygen refuses answers it cannot use, writing nothing", opts, async () => {
  const issued = await ca.issueWithNewKey();
  const other = await ca.issueWithNewKey();
  const certsOnly = "application/pkcs7-mime; smime-type=certs-only";
  const cases: [string, string, RegExp][] = [
    ["application/pkcs7-mime", "MIIB", /expected multipart\/mixed/],
    ["multipart/mixed", "--x--\r\n", /no usable boundary/],
    ["multipart/mixed; boundary=b", "no delimiter here", /has no parts/],
    ["multipart/mixed; boundary=b", "--b\r\nContent-Type: application/pkcs8\r\n\r\nAAAA\r\n", /truncated/],
    [
      "multipart/mixed; boundary=b",
      multipart("b", [["application/pkcs7-mime; smime-type=server-generated-key", "MIIB"], [
        certsOnly,
        "MIIB",
      ]]),
      /encrypted \(CMS EnvelopedData\)/,
    ],
    [
      "multipart/mixed; boundary=b",
      multipart("b", [[certsOnly, issued.pkcs7.toBase64()]]),
      /no application\/pkcs8/,
    ],
    [
      "multipart/mixed; boundary=b",
      multipart("b", [["application/pkcs8", "AAAA"]]),
      /no application\/pkcs7-mime/,
    ],
    [
      "multipart/mixed; boundary=b",
      multipart("b", [["application/pkcs8", "not base64!"], [certsOnly, issued.pkcs7.toBase64()]]),
      /private key part is neither base64 nor DER/,
    ],
    [
      "multipart/mixed; boundary=b",
      multipart("b", [["application/pkcs8", issued.pkcs8.toBase64()], [certsOnly, other.pkcs7.toBase64()]]),
      /does not match the private key/,
    ],
  ];
  for (const [contentType, body, message] of cases) {
    const key = fileIn("key.pem");
    const { result } = await withStub(
      (_i, _req, res) => answer(res, 200, { "Content-Type": contentType }, body),
      (origin, caPath) =>
        runClientCaptured([
          "serverkeygen",
          "--server",
          origin,
          "--cacert",
          caPath,
          "--user",
          "u",
          "--password",
          "p",
          "--cn",
          "dev",
          "--key-out",
          key,
          "--out",
          fileIn("cert.pem"),
        ]),
    );
    assert.equal(result.code, 1, `${body}: ${result.stderr}`);
    assert.match(result.stderr, message);
    await assert.rejects(Deno.stat(key), Deno.errors.NotFound);
  }
});

Deno.test("client: hostile error bodies are bounded and stripped of control characters", opts, async () => {
  const hostile = `\x1b[2J\x1b]0;pwned\x07line one\r\nline two\u202e${"x".repeat(5000)}`;
  const { result } = await withStub(
    (_i, _req, res) => answer(res, 503, { "Content-Type": "text/plain" }, hostile),
    (origin, caPath) => runClientCaptured(["csrattrs", "--server", origin, "--cacert", caPath]),
  );
  assert.equal(result.code, 1);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(result.stderr.slice(0, -1), /[\x00-\x1f\x7f\u202e]/);
  assert.match(
    result.stderr,
    /HTTP 503: the server or its CA is unavailable; try again later: \[2J ]0;pwned line one line two x+…\n$/,
  );
  assert.ok(result.stderr.length < 500, `bounded, got ${result.stderr.length}`);
});

Deno.test("client: Dogtag-style JSON errors are quoted by their Message", opts, async () => {
  const body = JSON.stringify({
    ClassName: "com.netscape.certsrv.base.ForbiddenException",
    Code: 403,
    Message: "Nope",
  });
  const { result } = await withStub(
    (_i, _req, res) => answer(res, 403, { "Content-Type": "application/json" }, body),
    (origin, caPath) => runClientCaptured(["cacerts", "--server", origin, "--cacert", caPath]),
  );
  assert.equal(result.stderr, "client: cacerts: HTTP 403: the server refused by policy: Nope\n");
});

Deno.test("client: answers that are not what was asked for fail clearly", opts, async () => {
  const cases: [number, Record<string, string>, string, string[], RegExp][] = [
    [200, {}, "", ["cacerts"], /empty CA certificates/],
    [200, {}, "%%%%", ["cacerts"], /CA certificates is neither base64 nor DER/],
    [200, {}, "AAAAA", ["cacerts"], /CA certificates is not valid base64/],
    [200, {}, "MAA=", ["cacerts"], /not a certs-only PKCS#7/],
    [200, {}, "BQA=", ["csrattrs"], /CSR attributes are not a DER SEQUENCE/],
    [200, {}, "MAMCAQE=", ["csrattrs"], /neither an OID nor an attribute/],
    [302, { Location: "https://example.invalid/" }, "", ["health"], /HTTP 302: unexpected answer$/m],
    [500, {}, "boom", ["health"], /HTTP 500: the server failed: boom/],
  ];
  for (const [status, headers, body, command, message] of cases) {
    const { result } = await withStub(
      (_i, _req, res) => answer(res, status, headers, body),
      (origin, caPath) => runClientCaptured([...command, "--server", origin, "--cacert", caPath]),
    );
    assert.equal(result.code, 1, `${body}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
});

Deno.test("client: a response larger than the bound is refused, not buffered", opts, async () => {
  const { result } = await withStub((_i, _req, res) => {
    res.writeHead(200, { "Content-Type": "application/pkcs7-mime" });
    const chunk = "A".repeat(1024 * 1024);
    for (let i = 0; i < 6; i++) res.write(chunk);
    res.end();
  }, (origin, caPath) => runClientCaptured(["cacerts", "--server", origin, "--cacert", caPath]));
  assert.equal(result.code, 1);
  assert.match(result.stderr, /larger than 4194304 bytes/);
});

Deno.test("client: a server that never answers times out", opts, async () => {
  const { result } = await withStub(
    () => {},
    (origin, caPath) =>
      runClientCaptured(["health", "--server", origin, "--cacert", caPath, "--timeout", "1"]),
  );
  assert.equal(result.code, 1);
  assert.match(result.stderr, /no answer within 1 s/);
});

Deno.test(
  "client: bootstrap refuses a chain carrying a certificate not under the confirmed CA",
  opts,
  async () => {
    const other = await createStubCa();
    const body = encodeCertsOnly([ca.caCertDer, other.caCertDer]).toBase64();
    const fingerprint = new Uint8Array(await crypto.subtle.digest("SHA-256", ca.caCertDer)).toHex();
    const { result } = await withStub(
      (_i, _req, res) => answer(res, 200, { "Content-Type": "application/pkcs7-mime" }, body),
      (origin) =>
        runClientCaptured(["cacerts", "--server", origin, "--bootstrap", "--fingerprint", fingerprint]),
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /carries a certificate not issued under the confirmed CA: CN=Stub CA/);
    assert.equal(result.stdout, "");
  },
);
