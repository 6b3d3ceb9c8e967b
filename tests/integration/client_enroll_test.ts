import "reflect-metadata";
import assert from "node:assert/strict";
import { runClientCaptured } from "../support/client_io.ts";
import { assertOk, BASIC, enrollAlice, fileIn, publicKeyOf, trusted } from "../support/client_fixtures.ts";
import { ALICE, startTestServer } from "../support/server.ts";
import { runOk } from "../support/tools.ts";

/** The built-in client's enroll and reenroll against the real server over real TLS. */

const opts = { sanitizeOps: false, sanitizeResources: false };

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
