import assert from "node:assert/strict";
import { curl, hasHeaderSpelled } from "../support/curl.ts";
import { makeSelfSigned } from "../support/pki.ts";
import { startTestServer } from "../support/server.ts";
import { run, runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("service: /health, /ready and Dogtag's app info", opts, async () => {
  const srv = await startTestServer();
  try {
    const origin = `https://127.0.0.1:${srv.port}`;
    const health = await curl(`${origin}/health`, { cacert: srv.caPath });
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.text), { status: "healthy", version: "0.1.0" });
    const ready = await curl(`${origin}/ready`, { cacert: srv.caPath });
    assert.equal(ready.status, 200);
    assert.deepEqual(JSON.parse(ready.text), {
      status: "ready",
      checks: { backend: { ok: true }, realm: { ok: true } },
    });
    for (const path of ["/.well-known/est/", "/.well-known/est/info"]) {
      const info = await curl(`${origin}${path}`, { cacert: srv.caPath });
      assert.equal(info.status, 200);
      assert.equal(info.headers.get("content-type"), "application/json");
      assert.equal(
        info.text,
        '{\n  "id" : "est",\n  "name" : "Enrollment over Secure Transport",\n  "path" : "/.well-known/est"\n}\n',
      );
    }
    assert.equal((await curl(`${origin}/.well-known/est`, { cacert: srv.caPath })).status, 404);
  } finally {
    await srv.close();
  }
});

Deno.test("service: /ready turns 503 when a dependency fails", opts, async () => {
  // The authoriser exists at start (the configuration boundary checks it) and goes away while serving.
  const executable = await Deno.makeTempFile({ prefix: "estauthz-" });
  await Deno.writeTextFile(executable, "#!/bin/sh\nexit 0\n");
  await Deno.chmod(executable, 0o755);
  const srv = await startTestServer({ authorizer: { class: "external-process", executable } });
  await Deno.remove(executable);
  try {
    const ready = await curl(`https://127.0.0.1:${srv.port}/ready`, { cacert: srv.caPath });
    assert.equal(ready.status, 503);
    const body = JSON.parse(ready.text);
    assert.equal(body.status, "not ready");
    assert.deepEqual(body.checks.authorizer, { ok: false, detail: "authorizer executable not found" });
    await srv.server.backend.close();
    const broken = JSON.parse(
      (await curl(`https://127.0.0.1:${srv.port}/ready`, { cacert: srv.caPath })).text,
    );
    assert.equal(broken.checks.backend.ok, false);
  } finally {
    await srv.close();
  }
});

Deno.test(
  "service: X-Request-ID is echoed when safe and generated otherwise, errors included",
  opts,
  async () => {
    const srv = await startTestServer();
    try {
      const echoed = await curl(`${srv.base}/cacerts`, {
        cacert: srv.caPath,
        headers: { "X-Request-ID": "trace-42" },
      });
      assert.equal(echoed.headers.get("x-request-id"), "trace-42");
      assert.ok(hasHeaderSpelled(echoed, "X-Request-ID"));
      const generated = await curl(`${srv.base}/nowhere`, { cacert: srv.caPath });
      assert.equal(generated.status, 404);
      assert.match(generated.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
      const unsafe = await curl(`${srv.base}/simpleenroll`, {
        cacert: srv.caPath,
        method: "POST",
        headers: { "X-Request-ID": "a b<c>" },
      });
      assert.equal(unsafe.status, 401);
      assert.match(unsafe.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
    } finally {
      await srv.close();
    }
  },
);

Deno.test(
  "service: csrattrs is 204 when unconfigured, the configured attributes otherwise",
  opts,
  async () => {
    const srv = await startTestServer({
      est: { csrattrs: ["challengePassword", "ecPublicKey=secp384r1"] },
      labels: { plain: {}, strict: { csrattrs: ["ecdsaWithSHA384"] } },
    });
    const bare = await startTestServer();
    try {
      assert.equal((await curl(`${bare.base}/csrattrs`, { cacert: bare.caPath })).status, 204);
      const res = await curl(`${srv.base}/csrattrs`, { cacert: srv.caPath });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/csrattrs");
      assert.equal(res.headers.get("content-transfer-encoding"), "base64");
      const der = Uint8Array.fromBase64(res.text.trim());
      const dump = (await runOk("openssl", ["asn1parse", "-inform", "DER"], der)).text;
      assert.match(dump, /challengePassword[\s\S]*id-ecPublicKey[\s\S]*secp384r1/);
      const inherited = await curl(`${srv.base}/plain/csrattrs`, { cacert: srv.caPath });
      assert.equal(inherited.text, res.text);
      const strict = await curl(`${srv.base}/strict/csrattrs`, { cacert: srv.caPath });
      assert.match(
        (await runOk("openssl", ["asn1parse", "-inform", "DER"], Uint8Array.fromBase64(strict.text.trim())))
          .text,
        /ecdsa-with-SHA384/,
      );
    } finally {
      await srv.close();
      await bare.close();
    }
  },
);

Deno.test("tls: 1.2 and 1.3 are served, 1.1 is refused; the certificate names loopback", opts, async () => {
  const srv = await startTestServer();
  try {
    const connect = [
      "s_client",
      "-connect",
      `127.0.0.1:${srv.port}`,
      "-CAfile",
      srv.caPath,
      "-verify_return_error",
    ];
    for (const version of ["-tls1_2", "-tls1_3"]) {
      const res = await run("openssl", [...connect, version, "-brief"], "");
      assert.equal(res.code, 0, `${version}: ${res.stderr}`);
      assert.match(res.stderr, new RegExp(`Protocol version: TLSv1\\.${version.slice(-1)}`));
    }
    const old = await run("openssl", [...connect, "-tls1_1", "-brief"], "");
    assert.notEqual(old.code, 0);
    const shown = await run("openssl", [...connect, "-showcerts"], "");
    const leaf = shown.text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0];
    const sans = (await runOk("openssl", ["x509", "-noout", "-ext", "subjectAltName"], leaf)).text;
    assert.match(sans, /DNS:localhost/);
    assert.match(sans, /IP Address:127\.0\.0\.1/);
    assert.match(sans, /IP Address:0:0:0:0:0:0:0:1/);
    const curlTls = await curl(`https://localhost:${srv.port}/health`, { cacert: srv.caPath });
    assert.equal(curlTls.status, 200, "verifies by host name too");
  } finally {
    await srv.close();
  }
});

Deno.test("tls: an operator certificate and key are served when configured", opts, async () => {
  const operator = await makeSelfSigned(await tempDir(), "/CN=operator.example", [
    "subjectAltName=IP:127.0.0.1",
  ]);
  const srv = await startTestServer({ server: { tls_cert: operator.certPath, tls_key: operator.keyPath } });
  try {
    const res = await curl(`https://127.0.0.1:${srv.port}/health`, { cacert: operator.certPath });
    assert.equal(res.status, 200);
  } finally {
    await srv.close();
  }
});
