import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { pemDerOf } from "../../src/encoding/pem.ts";
import { type ClientRun, runClientCaptured } from "../support/client_io.ts";
import { ALICE, startTestServer, type TestServer } from "../support/server.ts";
import { run, runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

/** The built-in client (src/client) against the real server over real TLS. */

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-client-" });

function fileIn(name: string): string {
  return join(tmp, `${crypto.randomUUID()}-${name}`);
}

function server(srv: TestServer): string[] {
  return ["--server", `https://127.0.0.1:${srv.port}`];
}

function trusted(srv: TestServer): string[] {
  return [...server(srv), "--cacert", srv.caPath];
}

const BASIC = ["--user", ALICE.username, "--password", ALICE.password];

async function caFingerprint(srv: TestServer): Promise<string> {
  const out = await runOk("openssl", ["x509", "-in", srv.caPath, "-noout", "-fingerprint", "-sha256"]);
  return out.text.trim().split("=")[1];
}

function assertOk(run: ClientRun): void {
  assert.equal(run.code, 0, `client failed: ${run.stderr}`);
}

async function publicKeyOf(kind: "x509" | "pkey", path: string, inform = "PEM"): Promise<string> {
  const args = kind === "x509"
    ? ["x509", "-inform", inform, "-in", path, "-noout", "-pubkey"]
    : ["pkey", "-inform", inform, "-in", path, "-pubout"];
  return (await runOk("openssl", args)).text;
}

/** Enrolls alice by Basic and returns the certificate and key paths. */
async function enrollAlice(srv: TestServer, more: string[] = []): Promise<{ cert: string; key: string }> {
  const cert = fileIn("cert.pem");
  const key = fileIn("key.pem");
  const result = await runClientCaptured([
    "enroll",
    ...trusted(srv),
    ...BASIC,
    "--cn",
    "alice",
    "--key-out",
    key,
    "--out",
    cert,
    ...more,
  ]);
  assertOk(result);
  return { cert, key };
}

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

Deno.test(
  "client: enroll by password writes a 0600 key and the certificate that matches it",
  opts,
  async (t) => {
    const srv = await startTestServer({ labels: { iot: { validity_days: 7 } } });
    try {
      await t.step("PEM, EC P-256, --password", async () => {
        const { cert, key } = await enrollAlice(srv);
        assert.equal((await Deno.stat(key)).mode! & 0o777, 0o600);
        assert.match(await Deno.readTextFile(key), /^-----BEGIN PRIVATE KEY-----\n/);
        assert.match((await runOk("openssl", ["verify", "-CAfile", srv.caPath, cert])).text, /: OK/);
        assert.equal(await publicKeyOf("x509", cert), await publicKeyOf("pkey", key));
        const text = (await runOk("openssl", ["x509", "-in", cert, "-noout", "-text"])).text;
        assert.match(text, /ASN1 OID: prime256v1/);
      });
      await t.step("DER, RSA-2048, password from a file", async () => {
        const passwordFile = fileIn("password");
        await Deno.writeTextFile(passwordFile, `${ALICE.password}\n`);
        const cert = fileIn("cert.der");
        const key = fileIn("key.der");
        const result = await runClientCaptured([
          "enroll",
          ...trusted(srv),
          "--user",
          ALICE.username,
          "--password-file",
          passwordFile,
          "--cn",
          "alice",
          "--key-type",
          "rsa2048",
          "--der",
          "--key-out",
          key,
          "--out",
          cert,
        ]);
        assertOk(result);
        assert.equal((await Deno.stat(key)).mode! & 0o777, 0o600);
        assert.equal(await publicKeyOf("x509", cert, "DER"), await publicKeyOf("pkey", key, "DER"));
        assert.match(await publicKeyOf("pkey", key, "DER"), /BEGIN PUBLIC KEY/);
        const text =
          (await runOk("openssl", ["x509", "-inform", "DER", "-in", cert, "-noout", "-text"])).text;
        assert.match(text, /Public-Key: \(2048 bit\)/);
      });
      await t.step("EC P-384 with the password in EST_PASSWORD, under a label", async () => {
        const cert = fileIn("cert.pem");
        const result = await runClientCaptured(
          [
            "enroll",
            ...trusted(srv),
            "--user",
            ALICE.username,
            "--label",
            "iot",
            "--subject",
            "/CN=alice",
            "--key-type",
            "P-384",
            "--key-out",
            fileIn("key.pem"),
            "--out",
            cert,
          ],
          { env: { EST_PASSWORD: ALICE.password } },
        );
        assertOk(result);
        const text = (await runOk("openssl", ["x509", "-in", cert, "-noout", "-text"])).text;
        assert.match(text, /ASN1 OID: secp384r1/);
        const dates = (await runOk("openssl", ["x509", "-in", cert, "-noout", "-enddate"])).text;
        const days = (Date.parse(dates.split("=")[1]) - Date.now()) / 86400_000;
        assert.ok(days > 6 && days <= 7.01, `the label's 7-day validity, got ${days}`);
      });
      await t.step("a wrong password: 401 with the server's message; nothing written", async () => {
        const key = fileIn("key.pem");
        const result = await runClientCaptured([
          "enroll",
          ...trusted(srv),
          "--user",
          ALICE.username,
          "--password",
          "wrong",
          "--cn",
          "alice",
          "--key-out",
          key,
          "--out",
          fileIn("cert.pem"),
        ]);
        assert.equal(result.code, 1);
        assert.equal(
          result.stderr,
          "client: simpleenroll: HTTP 401: authentication failed (check --user and the password, or --cert and " +
            "--key): Invalid credentials\n",
        );
        await assert.rejects(Deno.stat(key), Deno.errors.NotFound);
      });
      await t.step("a subject the policy refuses: 403 with the reason", async () => {
        const result = await runClientCaptured([
          "enroll",
          ...trusted(srv),
          ...BASIC,
          "--cn",
          "bob",
          "--key-out",
          fileIn("key.pem"),
          "--out",
          fileIn("cert.pem"),
        ]);
        assert.equal(result.code, 1);
        assert.match(
          result.stderr,
          /^client: simpleenroll: HTTP 403: the server refused by policy: CSR subject/,
        );
      });
    } finally {
      await srv.close();
    }
  },
);

Deno.test("client: a client certificate enrolls, and reenroll repeats subject and SAN", opts, async (t) => {
  const srv = await startTestServer({ authorizer: { enrollMatchTLSSubjSAN: false } });
  try {
    const first = await enrollAlice(srv, ["--dns", "alice.example", "--ip", "192.0.2.7"]);
    await t.step("enroll authenticated by the TLS client certificate alone", async () => {
      const result = await runClientCaptured([
        "enroll",
        ...trusted(srv),
        "--cert",
        first.cert,
        "--key",
        first.key,
        "--cn",
        "alice",
        "--key-out",
        fileIn("key.pem"),
        "--out",
        fileIn("cert.pem"),
      ]);
      assertOk(result);
    });
    await t.step("reenroll: new key, same subject and SAN", async () => {
      const cert = fileIn("renewed.pem");
      const key = fileIn("renewed.key");
      const result = await runClientCaptured([
        "reenroll",
        ...trusted(srv),
        "--cert",
        first.cert,
        "--key",
        first.key,
        "--key-out",
        key,
        "--out",
        cert,
      ]);
      assertOk(result);
      assert.notEqual(await publicKeyOf("pkey", key), await publicKeyOf("pkey", first.key));
      assert.equal(await publicKeyOf("x509", cert), await publicKeyOf("pkey", key));
      const show = (path: string) =>
        runOk("openssl", ["x509", "-in", path, "-noout", "-subject", "-ext", "subjectAltName"]);
      assert.equal((await show(cert)).text, (await show(first.cert)).text);
      assert.match((await show(cert)).text, /DNS:alice\.example, IP Address:192\.0\.2\.7/);
    });
    await t.step("reenroll --reuse-key keeps the key", async () => {
      const cert = fileIn("renewed.pem");
      const result = await runClientCaptured([
        "reenroll",
        ...trusted(srv),
        "--cert",
        first.cert,
        "--key",
        first.key,
        "--reuse-key",
        first.key,
        "--out",
        cert,
      ]);
      assertOk(result);
      assert.equal(await publicKeyOf("x509", cert), await publicKeyOf("pkey", first.key));
    });
    await t.step("reenroll with a certificate the server did not issue is refused", async () => {
      const key = fileIn("self.key");
      const cert = fileIn("self.pem");
      await runOk("openssl", [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=alice",
        "-keyout",
        key,
        "-out",
        cert,
      ]);
      const result = await runClientCaptured([
        "reenroll",
        ...trusted(srv),
        "--cert",
        cert,
        "--key",
        key,
        "--key-out",
        fileIn("k.pem"),
        "--out",
        fileIn("c.pem"),
      ]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^client: simplereenroll: HTTP 40[13]: /);
    });
  } finally {
    await srv.close();
  }
});

Deno.test("client: usage errors exit 2 before any request", opts, async () => {
  const cases: [string[], RegExp][] = [
    [[], /usage: pki-est-server client COMMAND/],
    [["frobnicate", "--server", "x"], /unknown command "frobnicate"/],
    [["cacerts"], /name the server/],
    [["cacerts", "--server", "http://127.0.0.1:1"], /https:\/\/ URL/],
    [["cacerts", "--server", "127.0.0.1:1/est"], /only https:\/\/HOST\[:PORT\]/],
    [["cacerts", "--server", "127.0.0.1:1", "--cn", "x"], /--cn does not apply to "cacerts"/],
    [["cacerts", "--server", "127.0.0.1:1", "--fingerprint", "00"], /--fingerprint goes with --bootstrap/],
    [["cacerts", "--server", "127.0.0.1:1", "--bootstrap", "--fingerprint", "00"], /64 hex digits/],
    [["cacerts", "--server", "127.0.0.1:1", "--bootstrap", "--cacert", "x"], /not both/],
    [["cacerts", "--server", "127.0.0.1:1", "--label", "a/b"], /is not a label/],
    [["cacerts", "--server", "127.0.0.1:1", "--timeout", "0"], /--timeout must be a whole number/],
    [["enroll", "--server", "127.0.0.1:1", "--user", "u"], /--user needs a password/],
    [["enroll", "--server", "127.0.0.1:1", "--password", "p"], /a password needs --user/],
    [
      ["enroll", "--server", "127.0.0.1:1", "--user", "u", "--password", "p", "--password-file", "f"],
      /not both/,
    ],
    [["enroll", "--server", "127.0.0.1:1", "--user", "u", "--password-file", "/nonexistent"], /cannot read/],
    [["enroll", "--server", "127.0.0.1:1", "--cert", "c"], /--cert and --key go together/],
    [["enroll", "--server", "127.0.0.1:1", "--key-type", "dsa"], /unknown key type "dsa"/],
    [["reenroll", "--server", "127.0.0.1:1"], /reenroll needs the current certificate/],
    [["enroll", "--server", "127.0.0.1:1", "--bogus"], /Unknown option '--bogus'/],
    [["cacerts", "--server", "127.0.0.1:1", "extra"], /unexpected argument "extra"/],
  ];
  for (const [args, message] of cases) {
    const result = await runClientCaptured(args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
  const help = await runClientCaptured(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /exit codes: 0 success, 1 refused or failed/);
});

Deno.test("client: usage errors that need a server are still exit 2", opts, async () => {
  const srv = await startTestServer();
  try {
    const cases: [string[], RegExp][] = [
      [["enroll", ...trusted(srv), ...BASIC, "--out", "x", "--key-out", "y"], /name the subject/],
      [[
        "enroll",
        ...trusted(srv),
        ...BASIC,
        "--cn",
        "a",
        "--subject",
        "CN=a",
        "--out",
        "x",
        "--key-out",
        "y",
      ], /not both/],
      [["enroll", ...trusted(srv), ...BASIC, "--cn", "alice", "--out", "x"], /--key-out FILE/],
      [["enroll", ...trusted(srv), ...BASIC, "--cn", "alice", "--key-out", "x"], /--out FILE/],
      [[
        "enroll",
        ...trusted(srv),
        ...BASIC,
        "--cn",
        "a",
        "--ip",
        "1.2.3.999",
        "--out",
        "x",
        "--key-out",
        "y",
      ], /not an IP/],
      [["serverkeygen", ...trusted(srv), ...BASIC, "--cn", "alice", "--out", "x"], /--key-out FILE/],
    ];
    for (const [args, message] of cases) {
      const result = await runClientCaptured(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  } finally {
    await srv.close();
  }
});

Deno.test("client: main.ts client runs as a process with its exit codes", opts, async () => {
  const srv = await startTestServer();
  try {
    const main = new URL("../../main.ts", import.meta.url).pathname;
    const cert = fileIn("cert.pem");
    const key = fileIn("key.pem");
    const enroll = await run(Deno.execPath(), [
      "run",
      "-A",
      main,
      "client",
      "enroll",
      ...trusted(srv),
      ...BASIC,
      "--cn",
      "alice",
      "--key-out",
      key,
      "--out",
      cert,
    ]);
    assert.equal(enroll.code, 0, enroll.stderr);
    assert.match(enroll.stderr, /issued: CN=alice, serial [0-9a-f]+/);
    assert.equal((await Deno.stat(key)).mode! & 0o777, 0o600);
    const refused = await run(Deno.execPath(), ["run", "-A", main, "client", "health", ...server(srv)]);
    assert.equal(refused.code, 1);
    const usage = await run(Deno.execPath(), ["run", "-A", main, "client"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage: pki-est-server client/);
  } finally {
    await srv.close();
  }
});
