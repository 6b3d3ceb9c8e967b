import "reflect-metadata";
import assert from "node:assert/strict";
import { pemDerOf } from "../../src/encoding/pem.ts";
import { runClientCaptured } from "../support/client_io.ts";
import { assertOk, BASIC, caFingerprint, fileIn, server, trusted } from "../support/client_fixtures.ts";
import { startTestServer } from "../support/server.ts";
import { runOk } from "../support/tools.ts";

/** The built-in client (src/client) against the real server over real TLS: trust, cacerts, csrattrs, health. */

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("client: bootstrap trusts the CA only when its fingerprint is confirmed", opts, async (t) => {
  const srv = await startTestServer();
  try {
    const fingerprint = await caFingerprint(srv);
    await t.step("--fingerprint that matches: the chain is written and anchors the call", async () => {
      const out = fileIn("ca.pem");
      const result = await runClientCaptured([
        "cacerts",
        ...server(srv),
        "--bootstrap",
        "--fingerprint",
        fingerprint,
        "--out",
        out,
      ]);
      assertOk(result);
      assert.match(result.stderr, new RegExp(`SHA-256 fingerprint: ${fingerprint}`));
      const der = async (path: string) => pemDerOf(await Deno.readTextFile(path), "CERTIFICATE");
      assert.deepEqual(await der(out), await der(srv.caPath));
      assert.deepEqual(result.prompts, []);
    });
    await t.step(
      "--fingerprint in lower case without colons, and openssl's whole line, match too",
      async () => {
        for (
          const given of [fingerprint.replaceAll(":", "").toLowerCase(), `sha256 Fingerprint=${fingerprint}`]
        ) {
          const result = await runClientCaptured([
            "cacerts",
            ...server(srv),
            "--bootstrap",
            "--fingerprint",
            given,
          ]);
          assertOk(result);
          assert.match(result.stdout, /^-----BEGIN CERTIFICATE-----\n/);
        }
      },
    );
    await t.step("a different fingerprint is refused and nothing is written", async () => {
      const out = fileIn("ca.pem");
      const wrong = "00".repeat(32);
      const result = await runClientCaptured([
        "cacerts",
        ...server(srv),
        "--bootstrap",
        "--fingerprint",
        wrong,
        "--out",
        out,
      ]);
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        /refusing the server's CA: its SHA-256 fingerprint .* is not the one given/,
      );
      await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
    });
    await t.step("interactive: 'y' confirms, anything else or end of input refuses", async () => {
      const yes = await runClientCaptured(["cacerts", ...server(srv), "--bootstrap"], { answer: "y" });
      assertOk(yes);
      assert.equal(yes.prompts.length, 1);
      assert.match(yes.prompts[0], /Trust this CA\?/);
      for (const answer of ["n", "", null]) {
        const no = await runClientCaptured(["cacerts", ...server(srv), "--bootstrap"], { answer });
        assert.equal(no.code, 1);
        assert.match(no.stderr, /the CA was not confirmed/);
        assert.equal(no.stdout, "");
      }
    });
    await t.step(
      "bootstrap then enroll in one run: the confirmed chain verifies the enroll call",
      async () => {
        const result = await runClientCaptured([
          "enroll",
          ...server(srv),
          "--bootstrap",
          "--fingerprint",
          fingerprint,
          ...BASIC,
          "--cn",
          "alice",
          "--key-out",
          fileIn("key.pem"),
          "--out",
          fileIn("cert.pem"),
        ]);
        assertOk(result);
      },
    );
    await t.step("without trust anchors the server's certificate is refused", async () => {
      const result = await runClientCaptured(["cacerts", ...server(srv)]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /cannot talk to https:\/\/127\.0\.0\.1:\d+: .*certificate/i);
    });
  } finally {
    await srv.close();
  }
});

Deno.test("client: cacerts, csrattrs and health", opts, async (t) => {
  const srv = await startTestServer({
    labels: { iot: { csrattrs: ["challengePassword", "ecPublicKey=secp384r1"] } },
  });
  try {
    await t.step("cacerts as DER writes the CA certificate", async () => {
      const out = fileIn("ca.der");
      assertOk(await runClientCaptured(["cacerts", ...trusted(srv), "--der", "--out", out]));
      const subject = await runOk("openssl", ["x509", "-inform", "DER", "-in", out, "-noout", "-subject"]);
      assert.match(subject.text, /subject=/);
    });
    await t.step("csrattrs: 204 without a label, the label's attributes named with one", async () => {
      const none = await runClientCaptured(["csrattrs", ...trusted(srv)]);
      assertOk(none);
      assert.match(none.stdout, /no CSR attributes/);
      const out = fileIn("attrs.der");
      const some = await runClientCaptured(["csrattrs", ...trusted(srv), "--label", "iot", "--out", out]);
      assertOk(some);
      assert.equal(
        some.stdout,
        "challengePassword (1.2.840.113549.1.9.7)\necPublicKey (1.2.840.10045.2.1): secp384r1 (1.3.132.0.34)\n",
      );
      const parsed = await runOk("openssl", ["asn1parse", "-inform", "DER", "-in", out]);
      assert.match(parsed.text, /challengePassword/);
    });
    await t.step("an unknown label is a 404 with the server's words", async () => {
      const result = await runClientCaptured(["csrattrs", ...trusted(srv), "--label", "nope"]);
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        "client: csrattrs: HTTP 404: not found (an unknown label, or an operation this server does not offer): " +
          "Unknown label\n",
      );
    });
    await t.step("health: 0 when healthy, 1 when nothing listens", async () => {
      const ok = await runClientCaptured(["health", ...trusted(srv)]);
      assertOk(ok);
      assert.match(ok.stdout, /^healthy: https:\/\/127\.0\.0\.1:\d+\n$/);
      const down = await runClientCaptured([
        "health",
        "--server",
        "https://127.0.0.1:1",
        "--cacert",
        srv.caPath,
      ]);
      assert.equal(down.code, 1);
      assert.match(down.stderr, /cannot talk to https:\/\/127\.0\.0\.1:1/);
    });
  } finally {
    await srv.close();
  }
});
