import assert from "node:assert/strict";
import { join } from "node:path";
import { revokeCertificate } from "../../src/backend/local_ca/revoke.ts";
import { loadConfig } from "../../src/config/load.ts";
import { enrollWithPassword } from "../support/client_certs.ts";
import { curl } from "../support/curl.ts";
import { makeOpensslCa } from "../support/pki.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { run, runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-publish-ocsp-" });
const OCSP_REQUEST = { "Content-Type": "application/ocsp-request" };

/** `openssl ocsp` against the URL in the certificate, verifying the response with the CA. */
async function ocspCheck(srv: TestServer, certPath: string, extra: string[] = []) {
  const url = (await runOk("openssl", ["x509", "-in", certPath, "-noout", "-ocsp_uri"])).text.trim();
  return await run("openssl", [
    "ocsp",
    "-issuer",
    srv.caPath,
    "-cert",
    certPath,
    "-url",
    url,
    "-CAfile",
    srv.caPath,
    ...extra,
  ]);
}

/** openssl's reading of a DER OCSP response (signature not checked), stdout and stderr. */
async function responseText(der: Uint8Array<ArrayBuffer>): Promise<string> {
  const path = join(tmp, `${crypto.randomUUID()}.der`);
  await Deno.writeFile(path, der);
  const out = await run("openssl", ["ocsp", "-respin", path, "-resp_text", "-noverify"]);
  return out.text + out.stderr;
}

Deno.test(
  "ocsp: good, then revoked with its reason after a revoke beside the running server",
  opts,
  async () => {
    const srv = await startTestServer();
    try {
      const leaf = await enrollWithPassword(srv, tmp, "/CN=alice", { san: "DNS:alice" });
      const good = await ocspCheck(srv, leaf.certPath, ["-resp_text"]);
      assert.equal(good.code, 0, good.stderr);
      assert.match(good.stderr, /Response verify OK/);
      assert.match(good.text, /: good\n/);
      assert.match(good.text, /OCSP Nonce/, "the nonce is echoed");
      assert.doesNotMatch(good.stderr, /nonce/i, "openssl finds the nonce it sent");
      const serial = (await runOk("openssl", ["x509", "-in", leaf.certPath, "-noout", "-serial"])).text.trim()
        .replace(/^serial=/, "").toLowerCase();
      // The command an operator runs, in its own process, while the server runs.
      const main = new URL("../../main.ts", import.meta.url).pathname;
      const cli = await runOk(Deno.execPath(), [
        "run",
        "-A",
        main,
        "revoke",
        "--config",
        srv.dir,
        serial,
        "--reason",
        "superseded",
      ]);
      assert.match(cli.text, new RegExp(`revoked ${serial} \\(CN=alice\\): superseded at `));
      const revoked = await ocspCheck(srv, leaf.certPath);
      assert.match(revoked.stderr, /Response verify OK/);
      assert.match(revoked.text, /: revoked\n/);
      assert.match(revoked.text, /Reason: superseded/);
      assert.match(revoked.text, /Revocation Time:/);
    } finally {
      await srv.close();
    }
  },
);

Deno.test("ocsp: unknown serials, foreign issuers, malformed and oversized requests", opts, async () => {
  const srv = await startTestServer();
  try {
    const url = `http://127.0.0.1:${srv.server.publishing!.port}/ocsp`;
    const unknown = await run("openssl", [
      "ocsp",
      "-issuer",
      srv.caPath,
      "-serial",
      "0x4abcdef",
      "-url",
      url,
      "-CAfile",
      srv.caPath,
    ]);
    assert.match(unknown.text, /0x4abcdef: unknown/);
    assert.match(unknown.stderr, /Response verify OK/);

    const other = await makeOpensslCa(tmp, "Other CA");
    const foreign = await run("openssl", ["ocsp", "-issuer", other.certPath, "-serial", "0x1", "-url", url]);
    assert.match(foreign.text + foreign.stderr, /Responder Error: unauthorized \(6\)/);

    const garbage = await curl(url, { method: "POST", body: "not DER at all", headers: OCSP_REQUEST });
    assert.equal(garbage.status, 200);
    assert.equal(garbage.headers.get("content-type"), "application/ocsp-response");
    assert.match(await responseText(garbage.body), /Responder Error: malformedrequest \(1\)/);

    const huge = await curl(url, { method: "POST", body: new Uint8Array(64 * 1024), headers: OCSP_REQUEST });
    assert.equal(huge.status, 413);
    const wrongType = await curl(url, {
      method: "POST",
      body: "x",
      headers: { "Content-Type": "text/plain" },
    });
    assert.equal(wrongType.status, 415);
    const badGet = await curl(`${url}/%%%not-base64`);
    assert.match(await responseText(badGet.body), /malformedrequest/);
  } finally {
    await srv.close();
  }
});

Deno.test(
  "ocsp: GET answers are cacheable and served from cache until revocations change",
  opts,
  async () => {
    const srv = await startTestServer({ publish: { poll_interval: 1, ocsp_validity: 600 } });
    try {
      const leaf = await enrollWithPassword(srv, tmp, "/CN=alice", { san: "DNS:alice" });
      const reqPath = join(tmp, `${crypto.randomUUID()}.req`);
      await runOk("openssl", [
        "ocsp",
        "-issuer",
        srv.caPath,
        "-cert",
        leaf.certPath,
        "-no_nonce",
        "-reqout",
        reqPath,
      ]);
      const encoded = encodeURIComponent((await Deno.readFile(reqPath)).toBase64());
      const url = `http://127.0.0.1:${srv.server.publishing!.port}/ocsp/${encoded}`;
      const first = await curl(url);
      assert.equal(first.status, 200);
      assert.equal(first.headers.get("content-type"), "application/ocsp-response");
      assert.match(first.headers.get("cache-control")!, /max-age=(59\d|600), public/);
      assert.ok(
        first.headers.get("etag") && first.headers.get("last-modified") && first.headers.get("expires"),
      );
      assert.match(await responseText(first.body), /Cert Status: good/);
      // producedAt has whole seconds: a response made again would differ.
      await new Promise((r) => setTimeout(r, 1100));
      const second = await curl(url);
      assert.deepEqual(second.body, first.body, "the same response, from the cache");
      assert.equal(second.headers.get("etag"), first.headers.get("etag"));
      const conditional = await curl(url, { headers: { "If-None-Match": first.headers.get("etag")! } });
      assert.equal(conditional.status, 304);

      const serial = (await runOk("openssl", ["x509", "-in", leaf.certPath, "-noout", "-serial"])).text.trim()
        .replace(/^serial=/, "").toLowerCase();
      await revokeCertificate(loadConfig(srv.dir), serial, "cessationOfOperation");
      let text = "";
      for (let i = 0; i < 50 && !/Cert Status: revoked/.test(text); i++) {
        await new Promise((r) => setTimeout(r, 100));
        text = await responseText((await curl(url)).body);
      }
      assert.match(text, /Cert Status: revoked/, "the cache is dropped within the poll interval");
      assert.match(text, /Revocation Reason: cessationOfOperation/);
    } finally {
      await srv.close();
    }
  },
);

Deno.test(
  "ocsp: a delegated responder certificate signs, with OCSP signing EKU and nocheck",
  opts,
  async () => {
    const srv = await startTestServer({ publish: { ocsp_signer: "delegated" } });
    try {
      const leaf = await enrollWithPassword(srv, tmp, "/CN=alice", { san: "DNS:alice" });
      const answer = await ocspCheck(srv, leaf.certPath, ["-resp_text"]);
      assert.equal(answer.code, 0, answer.stderr);
      assert.match(answer.stderr, /Response verify OK/);
      assert.match(answer.text, /: good\n/);
      assert.match(answer.text, /OCSP Signing/);
      assert.match(answer.text, /OCSP No Check/);
      assert.match(answer.text, /Subject: CN ?= ?EST Local CA OCSP Responder/);
      assert.equal(
        await srv.issuedCount(),
        3,
        "server TLS, the responder's certificate and the leaf are recorded",
      );
      await ocspCheck(srv, leaf.certPath);
      assert.equal(await srv.issuedCount(), 3, "the responder's certificate is reused");
    } finally {
      await srv.close();
    }
  },
);
