import assert from "node:assert/strict";
import { curl, hasHeaderSpelled } from "../support/curl.ts";
import { makeCsr } from "../support/pki.ts";
import { ALICE, startTestServer } from "../support/server.ts";
import { run } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-hostile-" });
const PKCS10 = { "Content-Type": "application/pkcs10" };

Deno.test("hostile input: every bad request gets a clear 4xx and nothing is issued", opts, async () => {
  const srv = await startTestServer({ server: { max_body_bytes: 4096 } });
  try {
    const { csrDer } = await makeCsr(tmp, "/CN=alice");
    const forged = csrDer.slice();
    forged[forged.length - 3] ^= 0x40;
    const cases: {
      name: string;
      status: number;
      message: RegExp;
      body?: string | Uint8Array<ArrayBuffer>;
      headers?: Record<string, string>;
      user?: string;
      chunked?: boolean;
    }[] = [
      { name: "malformed base64", status: 400, message: /Invalid base64/, body: "MIIB!!notbase64" },
      { name: "truncated base64", status: 400, message: /truncated/, body: "MIIBa" },
      {
        name: "truncated DER",
        status: 400,
        message: /malformed or truncated DER/,
        body: csrDer.slice(0, 60).toBase64(),
      },
      { name: "not a CSR", status: 400, message: /not a PKCS#10/, body: "MAMCAQE=" },
      {
        name: "forged signature",
        status: 400,
        message: /proof of possession failed/,
        body: forged.toBase64(),
      },
      {
        name: "binary garbage",
        status: 400,
        message: /neither base64 nor DER/,
        body: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
      },
      { name: "empty body", status: 400, message: /Empty request body/, body: "" },
      {
        name: "PEM of the wrong kind",
        status: 400,
        message: /Unexpected PEM block/,
        body: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      },
      {
        name: "oversized sized body",
        status: 413,
        message: /exceeds the limit of 4096 bytes/,
        body: "A".repeat(5000),
      },
      {
        name: "oversized chunked body",
        status: 413,
        message: /exceeds the limit/,
        body: "A".repeat(50_000),
        chunked: true,
      },
      {
        name: "wrong media type",
        status: 415,
        message: /Unsupported Content-Type "text\/plain"/,
        body: csrDer.toBase64(),
        headers: { "Content-Type": "text/plain" },
      },
      {
        name: "missing media type",
        status: 415,
        message: /Content-Type header is required/,
        body: csrDer.toBase64(),
        headers: { "Content-Type": "" },
      },
      {
        name: "no credentials",
        status: 401,
        message: /Authentication required/,
        body: csrDer.toBase64(),
        user: "",
      },
      {
        name: "wrong password",
        status: 401,
        message: /Invalid credentials/,
        body: csrDer.toBase64(),
        user: "alice:nope",
      },
    ];
    const before = await srv.issuedCount();
    for (const c of cases) {
      const res = await curl(`${srv.base}/simpleenroll`, {
        cacert: srv.caPath,
        user: c.user === "" ? undefined : c.user ?? ALICE.user,
        headers: c.headers ?? PKCS10,
        body: c.body,
        chunked: c.chunked,
      });
      assert.equal(res.status, c.status, `${c.name}: ${res.text}`);
      assert.match(res.text, c.message, c.name);
      assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8", c.name);
      assert.doesNotMatch(res.text, /\bat .*\.ts:\d+/, `${c.name}: no stack trace`);
      if (c.status === 401) {
        assert.ok(hasHeaderSpelled(res, "WWW-Authenticate"), res.rawHeaders);
        assert.equal(res.headers.get("www-authenticate"), 'Basic realm="EST"');
      }
    }
    assert.equal(await srv.issuedCount(), before, "nothing was issued");
  } finally {
    await srv.close();
  }
});

Deno.test("hostile input: wrong methods get 405 with a correct Allow; OPTIONS lists them", opts, async () => {
  const srv = await startTestServer();
  try {
    const cases: [string, string, string][] = [
      ["GET", "/simpleenroll", "POST"],
      ["PUT", "/simpleenroll", "POST"],
      ["DELETE", "/cacerts", "GET, HEAD"],
      ["POST", "/cacerts", "GET, HEAD"],
      ["PATCH", "/csrattrs", "GET, HEAD"],
      ["POST", "/iot-unknown/cacerts", "GET, HEAD"],
      ["POST", "/", "GET, HEAD"],
      ["DELETE", "/info", "GET, HEAD"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await curl(`${srv.base}${path}`, { cacert: srv.caPath, method });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.get("allow"), allow, `${method} ${path}`);
      assert.ok(hasHeaderSpelled(res, "Allow"));
    }
    const health = await curl(`https://127.0.0.1:${srv.port}/health`, { cacert: srv.caPath, method: "POST" });
    assert.equal(health.status, 405);
    const options = await curl(`${srv.base}/simpleenroll`, { cacert: srv.caPath, method: "OPTIONS" });
    assert.equal(options.status, 204);
    assert.equal(options.headers.get("allow"), "POST");
  } finally {
    await srv.close();
  }
});

Deno.test("hostile input: hostile labels and unknown paths are 404", opts, async () => {
  const srv = await startTestServer({ labels: { iot: {} } });
  try {
    const paths = [
      `/${"x".repeat(65)}/cacerts`,
      "/simpleenroll/cacerts",
      "/cacerts/cacerts",
      "/%2e%2e/cacerts",
      "/a%2Fb/cacerts",
      "/a%00b/cacerts",
      "/la%20bel/cacerts",
      "/unknown/cacerts",
      "/iot/extra/cacerts",
      "/cacerts/",
      "/nothing",
      "/serverkeygen/csrattrs",
    ];
    for (const path of paths) {
      const res = await curl(`${srv.base}${path}`, { cacert: srv.caPath, extra: ["--path-as-is"] });
      assert.equal(res.status, 404, `${path}: ${res.text}`);
    }
    const root = await curl(`https://127.0.0.1:${srv.port}/`, { cacert: srv.caPath });
    assert.equal(root.status, 404);
    assert.equal((await curl(`${srv.base}/iot/cacerts`, { cacert: srv.caPath })).status, 200);
  } finally {
    await srv.close();
  }
});

Deno.test(
  "hostile input: a malformed request line or oversized headers do not crash the server",
  opts,
  async () => {
    const srv = await startTestServer();
    try {
      const huge = await run("curl", [
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--cacert",
        srv.caPath,
        "-H",
        `X-Big: ${"a".repeat(20_000)}`,
        `${srv.base}/cacerts`,
      ]);
      // Refused with 431/400, or the connection is dropped (curl 52: empty reply); never served.
      assert.ok(["431", "400"].includes(huge.text) || huge.code === 52, `${huge.code} ${huge.text}`);
      const raw = await run("sh", [
        "-c",
        `printf 'GARBAGE\\r\\n\\r\\n' | openssl s_client -quiet -connect 127.0.0.1:${srv.port} 2>/dev/null`,
      ]);
      assert.match(raw.text, /^HTTP\/1\.1 400|^$/);
      const after = await curl(`${srv.base}/cacerts`, { cacert: srv.caPath });
      assert.equal(after.status, 200, "still serving");
    } finally {
      await srv.close();
    }
  },
);

Deno.test("hostile input: a body that never completes is cut off with 408 (slowloris)", opts, async () => {
  const srv = await startTestServer({ server: { request_timeout: 1 } });
  try {
    const auth = btoa(ALICE.user);
    const started = performance.now();
    const res = await run("sh", [
      "-c",
      `(printf 'POST /.well-known/est/simpleenroll HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: Basic ${auth}\\r\\n` +
      `Content-Type: application/pkcs10\\r\\nContent-Length: 500\\r\\n\\r\\nMII'; sleep 4) | ` +
      `timeout 6 openssl s_client -quiet -connect 127.0.0.1:${srv.port} 2>/dev/null`,
    ]);
    assert.match(res.text, /^HTTP\/1\.1 408 /);
    assert.match(res.text, /The request body did not arrive within 1 seconds/);
    assert.ok(performance.now() - started < 5000, "answered before the client gave up");
  } finally {
    await srv.close();
  }
});

Deno.test(
  "hostile input: a body that never ends gets 413, and the connection does not stay open",
  opts,
  async () => {
    const srv = await startTestServer({ server: { max_body_bytes: 4096, request_timeout: 2 } });
    try {
      const conn = await Deno.connectTls({
        hostname: "127.0.0.1",
        port: srv.port,
        caCerts: [await Deno.readTextFile(srv.caPath)],
      });
      const encoder = new TextEncoder();
      await conn.write(encoder.encode(
        `POST /.well-known/est/simpleenroll HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${
          btoa(ALICE.user)
        }\r\n` +
          "Content-Type: application/pkcs10\r\nTransfer-Encoding: chunked\r\n\r\n",
      ));
      const chunk = encoder.encode(`1000\r\n${"A".repeat(4096)}\r\n`);
      let answer = "";
      const reading = (async () => {
        const buffer = new Uint8Array(4096);
        for (;;) {
          const n = await conn.read(buffer).catch(() => null);
          if (n === null) return;
          answer += new TextDecoder().decode(buffer.subarray(0, n));
        }
      })();
      const started = performance.now();
      let closed = false;
      while (performance.now() - started < 8000) {
        try {
          await conn.write(chunk);
        } catch {
          closed = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.match(answer, /^HTTP\/1\.1 413 /);
      assert.ok(closed, "the server closed a connection whose body never ends");
      conn.close();
      await reading;
    } finally {
      await srv.close();
    }
  },
);
