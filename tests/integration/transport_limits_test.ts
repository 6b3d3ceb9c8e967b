import assert from "node:assert/strict";
import { join } from "node:path";
import { curl } from "../support/curl.ts";
import { IdleConnections } from "../support/idle_connections.ts";
import { makeCsr } from "../support/pki.ts";
import { rawTls } from "../support/raw_tls.ts";
import { ALICE, startTestServer, type TestServer } from "../support/server.ts";
import { run } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-transport-" });
const PKCS10 = { "Content-Type": "application/pkcs10" };

async function metric(srv: TestServer, line: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${srv.server.metricsPort}/metrics`)).text();
  const match = text.split("\n").find((l) => line.test(l));
  return match === undefined ? 0 : Number(match.split(" ").pop());
}

Deno.test(
  "transport: connections over the per-address limit are refused at accept; other clients are still served",
  opts,
  async () => {
    const srv = await startTestServer({ server: { max_connections_per_ip: 5, handshake_timeout: 2 } });
    const flood = new IdleConnections();
    try {
      const csr = (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64();
      const other = { cacert: srv.caPath, extra: ["--interface", "127.0.0.2"] };
      const quiet = performance.now();
      assert.equal((await curl(`${srv.base}/cacerts`, other)).status, 200);
      const quietMs = performance.now() - quiet;
      assert.equal(await flood.open(srv.port, 50), 50);
      assert.ok(await flood.closedByServer(1000) >= 45, "all but 5 closed as soon as accepted");
      const busy = performance.now();
      const enrolled = await curl(`${srv.base}/simpleenroll`, {
        ...other,
        user: ALICE.user,
        body: csr,
        headers: PKCS10,
      });
      const busyMs = performance.now() - busy;
      assert.equal(enrolled.status, 200, enrolled.text);
      console.log(
        `transport: /cacerts ${Math.round(quietMs)} ms before the flood, enroll ${
          Math.round(busyMs)
        } ms during`,
      );
      assert.equal(
        await flood.closedByServer(6000),
        50,
        "the 5 admitted are closed by the handshake timeout",
      );
      assert.equal(
        await metric(srv, /^est_connections_refused_total\{reason="max_connections_per_ip"\}/),
        45,
      );
      assert.ok(await metric(srv, /^est_tls_handshake_timeouts_total/) >= 5);
    } finally {
      flood.close();
      await srv.close();
    }
  },
);

Deno.test("transport: headers sent byte by byte get 408 at the configured header timeout", opts, async () => {
  const srv = await startTestServer({ server: { header_timeout: 2, request_timeout: 30 } });
  try {
    const { conn, answer, firstByte } = await rawTls(srv.port, srv.caPath);
    const started = performance.now();
    await conn.write(new TextEncoder().encode("GET /.well-known/est/cacerts HTTP/1.1\r\nHost: x\r\n"));
    let done = false;
    answer.then(() => done = true);
    while (!done && performance.now() - started < 15_000) {
      await conn.write(new TextEncoder().encode("X")).catch(() => done = true);
      await new Promise((r) => setTimeout(r, 100));
    }
    const text = await answer;
    const elapsed = await firstByte - started;
    conn.close();
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.ok(elapsed >= 2000 && elapsed < 4500, `answered after ${Math.round(elapsed)} ms (configured 2 s)`);
  } finally {
    await srv.close();
  }
});

Deno.test(
  "transport: a 100 KB header gets 431 with a short body; the server goes on serving",
  opts,
  async () => {
    const srv = await startTestServer();
    try {
      const res = await run("curl", [
        "-sS",
        "-w",
        "\n%{http_code}",
        "--cacert",
        srv.caPath,
        "-H",
        `X-Big: ${"a".repeat(100_000)}`,
        `${srv.base}/cacerts`,
      ]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.text, "Request headers are too large\n\n431");
      assert.equal((await curl(`${srv.base}/cacerts`, { cacert: srv.caPath })).status, 200);
      assert.equal(await metric(srv, /^est_client_errors_total\{kind="header_too_large"\}/), 1);
    } finally {
      await srv.close();
    }
  },
);

Deno.test(
  "transport: a client that drops the connection mid-body is a client abort, not a 500",
  opts,
  async () => {
    const srv = await startTestServer();
    try {
      const { conn } = await rawTls(srv.port, srv.caPath);
      await conn.write(new TextEncoder().encode(
        `POST /.well-known/est/simpleenroll HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${
          btoa(ALICE.user)
        }\r\n` +
          "Content-Type: application/pkcs10\r\nContent-Length: 500\r\n\r\nMIIB",
      ));
      await new Promise((r) => setTimeout(r, 300));
      conn.close();
      const auditPath = join(srv.dir, "state", "audit.jsonl");
      let records: { outcome: string; status: number }[] = [];
      for (let i = 0; i < 50 && records.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const text = await Deno.readTextFile(auditPath).catch(() => "");
        records = text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
      }
      assert.equal(records.length, 1);
      assert.equal(records[0].outcome, "client-abort");
      assert.equal(records[0].status, 499);
      assert.equal(await metric(srv, /^est_requests_total\{.*status="aborted"\}/), 1);
      assert.equal(await metric(srv, /^est_errors_total\{type="internal"\}/), 0);
    } finally {
      await srv.close();
    }
  },
);
