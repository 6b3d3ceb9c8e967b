import assert from "node:assert/strict";
import { join } from "node:path";
import { revokeCertificate } from "../../src/backend/local_ca/revoke.ts";
import { loadConfig } from "../../src/config/load.ts";
import { enrollWithPassword } from "../support/client_certs.ts";
import { curl } from "../support/curl.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { run, runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-publish-crl-" });

/** The CRL as served, and openssl's reading of it (signature checked against the CA). */
async function fetchCrl(srv: TestServer): Promise<{ text: string; etag: string; der: Uint8Array }> {
  const res = await curl(`http://127.0.0.1:${srv.server.publishing!.port}/crl`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/pkix-crl");
  assert.ok(res.headers.get("last-modified"));
  const path = join(tmp, `${crypto.randomUUID()}.crl`);
  await Deno.writeFile(path, res.body);
  const checked = await runOk("openssl", [
    "crl",
    "-inform",
    "DER",
    "-in",
    path,
    "-CAfile",
    srv.caPath,
    "-noout",
    "-text",
  ]);
  assert.match(checked.stderr, /verify OK/);
  return { text: checked.text, etag: res.headers.get("etag")!, der: res.body };
}

function crlNumber(text: string): number {
  return parseInt(/X509v3 CRL Number:\s*\n\s*(\S+)/.exec(text)![1], 16);
}

async function serialOf(certPath: string): Promise<string> {
  return (await runOk("openssl", ["x509", "-in", certPath, "-noout", "-serial"])).text.trim().replace(
    /^serial=/,
    "",
  );
}

Deno.test("publish: certificates point at the CRL and OCSP of the publishing listener", opts, async () => {
  const srv = await startTestServer();
  try {
    const port = srv.server.publishing!.port;
    const leaf = await enrollWithPassword(srv, tmp, "/CN=alice", { san: "DNS:alice" });
    const ext =
      (await runOk("openssl", ["x509", "-in", leaf.certPath, "-noout", "-ext", "crlDistributionPoints"]))
        .text;
    assert.match(ext, new RegExp(`URI:http://127\\.0\\.0\\.1:${port}/crl`));
    const ocspUri = (await runOk("openssl", ["x509", "-in", leaf.certPath, "-noout", "-ocsp_uri"])).text
      .trim();
    assert.equal(ocspUri, `http://127.0.0.1:${port}/ocsp`);
  } finally {
    await srv.close();
  }
});

Deno.test("publish: a configured base URL goes into certificates instead", opts, async () => {
  const srv = await startTestServer({ publish: { base_url: "http://pki.example.com/est/" } });
  try {
    const leaf = await enrollWithPassword(srv, tmp, "/CN=alice", { san: "DNS:alice" });
    const text = (await runOk("openssl", ["x509", "-in", leaf.certPath, "-noout", "-text"])).text;
    assert.match(text, /URI:http:\/\/pki\.example\.com\/est\/crl/);
    assert.match(text, /OCSP - URI:http:\/\/pki\.example\.com\/est\/ocsp/);
  } finally {
    await srv.close();
  }
});

Deno.test("publish: the CRL before and after a revocation made beside the running server", opts, async () => {
  const srv = await startTestServer({ publish: { poll_interval: 1, crl_validity_hours: 6 } });
  try {
    const leaf = await enrollWithPassword(srv, tmp, "/CN=alice", { san: "DNS:alice" });
    const serial = await serialOf(leaf.certPath);
    const before = await fetchCrl(srv);
    assert.match(before.text, /Version 2 \(0x1\)/);
    assert.match(before.text, /No Revoked Certificates/);
    assert.match(before.text, /X509v3 Authority Key Identifier/);
    const validity = /Last Update: (.+)\n\s*Next Update: (.+)\n/.exec(before.text)!;
    assert.equal(Date.parse(validity[2]) - Date.parse(validity[1]), 6 * 3_600_000);

    const port = srv.server.publishing!.port;
    const same = await curl(`http://127.0.0.1:${port}/crl`, { headers: { "If-None-Match": before.etag } });
    assert.equal(same.status, 304, "conditional GET");
    assert.equal(same.body.byteLength, 0);
    const since = await curl(`http://127.0.0.1:${port}/crl`, {
      headers: { "If-Modified-Since": new Date(Date.now() + 1000).toUTCString() },
    });
    assert.equal(since.status, 304);

    const outcome = await revokeCertificate(loadConfig(srv.dir), serial.toLowerCase(), "keyCompromise");
    assert.equal(outcome.status, "revoked");
    let after = await fetchCrl(srv);
    for (let i = 0; i < 50 && after.etag === before.etag; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await fetchCrl(srv);
    }
    assert.notEqual(after.etag, before.etag, "a new CRL within the poll interval");
    assert.match(after.text, new RegExp(`Serial Number: ${serial}`, "i"));
    assert.match(after.text, /Key Compromise/);
    assert.ok(crlNumber(after.text) > crlNumber(before.text), "the CRL number grows");
    const stale = await curl(`http://127.0.0.1:${port}/crl`, { headers: { "If-None-Match": before.etag } });
    assert.equal(stale.status, 200, "the old ETag no longer matches");
  } finally {
    await srv.close();
  }
});

Deno.test(
  "publish: the listener serves only its paths and methods; it can be switched off",
  opts,
  async () => {
    const srv = await startTestServer();
    const off = await startTestServer({ publish: { enabled: false } });
    try {
      const origin = `http://127.0.0.1:${srv.server.publishing!.port}`;
      assert.equal((await curl(`${origin}/nothing`)).status, 404);
      const post = await curl(`${origin}/crl`, { method: "POST", body: "x" });
      assert.equal(post.status, 405);
      assert.equal(post.headers.get("allow"), "GET, HEAD");
      const head = await curl(`${origin}/crl`, { extra: ["-I"] });
      assert.equal(head.status, 200);
      assert.ok(Number(head.headers.get("content-length")) > 0);
      assert.equal((await curl(`${origin}/ocsp`)).status, 405);
      assert.equal(off.server.publishing, undefined);
      const leaf = await enrollWithPassword(off, tmp, "/CN=alice", { san: "DNS:alice" });
      const text = (await run("openssl", ["x509", "-in", leaf.certPath, "-noout", "-text"])).text;
      assert.doesNotMatch(text, /CRL Distribution Points|Authority Information Access/);
    } finally {
      await srv.close();
      await off.close();
    }
  },
);

Deno.test(
  "publish: certificates from every listener thread point at the primary's listener",
  opts,
  async () => {
    const srv = await startTestServer({ server: { workers: 2 } });
    try {
      const port = srv.server.publishing!.port;
      for (let i = 0; i < 6; i++) {
        const leaf = await enrollWithPassword(srv, tmp, "/CN=alice", { san: "DNS:alice" });
        const uri = (await runOk("openssl", ["x509", "-in", leaf.certPath, "-noout", "-ocsp_uri"])).text
          .trim();
        assert.equal(uri, `http://127.0.0.1:${port}/ocsp`);
      }
    } finally {
      await srv.close();
    }
  },
);
