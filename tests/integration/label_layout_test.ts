import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { curl } from "../support/curl.ts";
import { makeCsr } from "../support/pki.ts";
import { runClientCaptured } from "../support/client_io.ts";
import { ALICE, startTestServer } from "../support/server.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a label's base64_line_length wraps its responses; other paths keep the server's layout",
  opts,
  async () => {
    const tmp = await tempDir({ prefix: "est-layout-" });
    const srv = await startTestServer({
      labels: { libest: { base64_line_length: 64, base64_line_ending: "crlf" }, plain: {} },
    });
    try {
      const cacerts = async (label: string) =>
        (await curl(`${srv.base}/${label === "" ? "" : `${label}/`}cacerts`, { cacert: srv.caPath })).text;
      const wrapped = await cacerts("libest");
      const lines = wrapped.split("\r\n");
      assert.equal(lines.at(-1), "", "ends with CRLF");
      assert.ok(lines.length > 3);
      assert.ok(lines.slice(0, -2).every((l) => l.length === 64), "64 characters a line");
      assert.doesNotMatch(wrapped.replaceAll("\r\n", ""), /\s/);
      for (const single of [await cacerts(""), await cacerts("plain")]) {
        assert.match(single, /^[A-Za-z0-9+/=]+\n$/);
        assert.equal(single.trimEnd(), wrapped.replaceAll("\r\n", ""));
      }
      const { csrDer } = await makeCsr(tmp, "/CN=alice", { key: "rsa:2048" });
      const enrolled = await curl(`${srv.base}/libest/simpleenroll`, {
        cacert: srv.caPath,
        user: ALICE.user,
        body: csrDer.toBase64(),
        headers: { "Content-Type": "application/pkcs10" },
      });
      assert.equal(enrolled.status, 200);
      assert.ok(enrolled.text.split("\r\n").slice(0, -2).every((l) => l.length === 64));
      const cert = join(tmp, "cert.pem");
      const client = await runClientCaptured([
        "enroll",
        "--server",
        `https://127.0.0.1:${srv.port}`,
        "--cacert",
        srv.caPath,
        "--label",
        "libest",
        "--user",
        ALICE.username,
        "--password",
        ALICE.password,
        "--cn",
        "alice",
        "--key-out",
        join(tmp, "key.pem"),
        "--out",
        cert,
      ]);
      assert.equal(client.code, 0, client.stderr);
      assert.match((await runOk("openssl", ["verify", "-CAfile", srv.caPath, cert])).text, /: OK/);
    } finally {
      await srv.close();
    }
  },
);
