import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { loadSettings } from "../../src/config/boundary.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { checkServerTls } from "../../src/config/files/server_tls.ts";
import { toPem } from "../../src/encoding/pem.ts";
import { issueFromCa, makeOpensslCa, makeSelfSigned } from "../support/pki.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

/** A config dir holding `files`; server.toml gets a loopback bind unless given. */
async function configDir(files: Record<string, string>): Promise<string> {
  const dir = await tempDir({ prefix: "est-boundary-" });
  for (const [name, content] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), content);
  return dir;
}

/** The formatted issues loadSettings raises for `files`, or [] when they load. */
async function issuesOf(files: Record<string, string>): Promise<string[]> {
  try {
    await loadSettings(await configDir(files));
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message.split("\n");
  }
}

const fixtures = await tempDir({ prefix: "est-boundary-pki-" });
const serverCa = await makeOpensslCa(fixtures, "TLS CA");
const serverExt = (san: string, eku = "serverAuth") =>
  `basicConstraints=CA:false\nextendedKeyUsage=${eku}\nsubjectAltName=${san}\n`;
const good = await issueFromCa(fixtures, serverCa, "/CN=est.example.com", {
  ext: serverExt("DNS:est.example.com,IP:127.0.0.1"),
});
const other = await issueFromCa(fixtures, serverCa, "/CN=other", { ext: serverExt("IP:127.0.0.1") });
const clientOnly = await issueFromCa(fixtures, serverCa, "/CN=c", {
  ext: serverExt("IP:127.0.0.1", "clientAuth"),
});
const expired = await expiredCertificate();
const junk = join(fixtures, "junk.pem");
await Deno.writeTextFile(junk, "junk\n");

/** A serverAuth certificate for 127.0.0.1 that expired in 2020, and its key, on disk. */
async function expiredCertificate(): Promise<{ certPath: string; keyPath: string }> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=old",
    notBefore: new Date("2020-01-01T00:00:00Z"),
    notAfter: new Date("2020-02-01T00:00:00Z"),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.ExtendedKeyUsageExtension(["1.3.6.1.5.5.7.3.1"]),
      new x509.SubjectAlternativeNameExtension([{ type: "ip", value: "127.0.0.1" }]),
    ],
  });
  const certPath = join(fixtures, "expired.crt");
  const keyPath = join(fixtures, "expired.key");
  await Deno.writeTextFile(certPath, cert.toString("pem"));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  await Deno.writeTextFile(keyPath, toPem(pkcs8, "PRIVATE KEY"));
  return { certPath, keyPath };
}

function tlsToml(cert: string, key: string, bind = "127.0.0.1:8443"): string {
  return `[server]\nbind = "${bind}"\ntls_cert = "${cert}"\ntls_key = "${key}"\n`;
}

Deno.test("boundary: a usable TLS certificate and key load; the settings carry them", async () => {
  const settings = await loadSettings(
    await configDir({ "server.toml": tlsToml(good.certPath, good.keyPath) }),
  );
  assert.match(settings.server.tls?.certPem ?? "", /BEGIN CERTIFICATE/);
  assert.equal(settings.server.bind.port, 8443);
  assert.equal(settings.auth.realmName, "EST");
  assert.deepEqual(settings.server.clientCa, []);
});

Deno.test("boundary: a TLS certificate or key that cannot serve is refused with its file and reason", async () => {
  const cases: [string, RegExp][] = [
    [
      tlsToml(junk, good.keyPath),
      /^server\.toml:3: server\.tls_cert: .*junk\.pem: no PEM certificate found$/,
    ],
    [tlsToml(good.certPath, junk), /^server\.toml:4: server\.tls_key: .*junk\.pem: unparseable private key/],
    [
      tlsToml(good.certPath, other.keyPath),
      /server\.tls_key: .*: the private key does not match the certificate$/,
    ],
    [
      tlsToml(expired.certPath, expired.keyPath),
      /server\.tls_cert: .*: the certificate expired on 2020-02-01/,
    ],
    [tlsToml(clientOnly.certPath, clientOnly.keyPath), /extendedKeyUsage does not include serverAuth$/],
    [tlsToml(other.certPath, other.keyPath, "127.0.0.2:8443"), /not valid for the bind address 127\.0\.0\.2/],
    [
      tlsToml(join(fixtures, "missing.pem"), good.keyPath),
      /^server\.toml:3: server\.tls_cert: cannot read .*missing\.pem/,
    ],
  ];
  for (const [toml, expected] of cases) {
    const issues = await issuesOf({ "server.toml": toml });
    assert.equal(issues.length, 1, issues.join("\n"));
    assert.match(issues[0], expected);
  }
});

Deno.test("boundary: host names, wildcards, IPv6 and wildcard binds are matched against the certificate", async () => {
  const certPem = await Deno.readTextFile(good.certPath);
  const keyPem = await Deno.readTextFile(good.keyPath);
  for (const host of ["est.example.com", "EST.example.com", "127.0.0.1", "0.0.0.0", "::"]) {
    assert.ok(checkServerTls({ certPem, keyPem }, host).ok, host);
  }
  assert.ok(!checkServerTls({ certPem, keyPem }, "other.example.com").ok);
  const wild = await issueFromCa(fixtures, serverCa, "/CN=w", { ext: serverExt("DNS:*.example.com,IP:::1") });
  const material = {
    certPem: await Deno.readTextFile(wild.certPath),
    keyPem: await Deno.readTextFile(wild.keyPath),
  };
  assert.ok(checkServerTls(material, "a.example.com").ok);
  assert.ok(checkServerTls(material, "0:0::1").ok);
  assert.ok(!checkServerTls(material, "a.b.example.com").ok);
  assert.ok(!checkServerTls(material, "example.com").ok);
  const cnOnly = await makeSelfSigned(fixtures, "/CN=legacy.example.com");
  const legacy = {
    certPem: await Deno.readTextFile(cnOnly.certPath),
    keyPem: await Deno.readTextFile(cnOnly.keyPath),
  };
  assert.ok(checkServerTls(legacy, "legacy.example.com").ok);
  const future = checkServerTls({ certPem, keyPem }, "127.0.0.1", new Date("2000-01-01T00:00:00Z"));
  assert.ok(!future.ok && /not valid before/.test(future.reason));
  const unparseable = checkServerTls({
    certPem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    keyPem,
  }, "::");
  assert.ok(!unparseable.ok && /unparseable certificate/.test(unparseable.reason));
});

Deno.test("boundary: without tls_cert only the local CA can serve (it issues the server's certificate)", async () => {
  const dogtag = "class=dogtag-ra\nurl=https://ca.example.com:8443\nprofile=estServiceCert\n";
  assert.deepEqual(await issuesOf({ "backend.conf": dogtag }), [
    "server.toml: server.tls_cert: tls_cert and tls_key are required unless the backend is the local CA",
  ]);
});

Deno.test("boundary: files a Dogtag backend.conf names are read and checked, at their line", async () => {
  const tls = tlsToml(good.certPath, good.keyPath);
  const base = "class=dogtag-ra\nurl=https://ca.example.com:8443\nprofile=estServiceCert\n";
  assert.deepEqual(await issuesOf({ "server.toml": tls, "backend.conf": `${base}caBundle=${junk}\n` }), [
    `backend.conf:4: caBundle: ${junk}: no PEM certificate found`,
  ]);
  const missing = join(fixtures, "nope.pem");
  assert.match(
    (await issuesOf({ "server.toml": tls, "backend.conf": `${base}caBundle=${missing}\n` }))[0],
    /^backend\.conf:4: caBundle: cannot read .*nope\.pem: /,
  );
  const p12 = join(fixtures, "ra.p12");
  await runOk("openssl", [
    "pkcs12",
    "-export",
    "-in",
    good.certPath,
    "-inkey",
    good.keyPath,
    "-out",
    p12,
    "-passout",
    "pass:right",
  ]);
  const passFile = join(fixtures, "ra.pass");
  await Deno.writeTextFile(passFile, "wrong\n");
  const wrong = await issuesOf({
    "server.toml": tls,
    "backend.conf": `${base}clientPKCS12File=${p12}\nclientPKCS12PasswordFile=${passFile}\n`,
  });
  assert.equal(wrong.length, 1);
  assert.match(wrong[0], /^backend\.conf:4: clientPKCS12File: .*ra\.p12: wrong password or damaged file/);
  await Deno.writeTextFile(passFile, "right\n");
  const settings = await loadSettings(
    await configDir({
      "server.toml": tls,
      "backend.conf":
        `${base}clientPKCS12File=${p12}\nclientPKCS12PasswordFile=${passFile}\ncaBundle=${serverCa.certPath}\n`,
    }),
  );
  assert.match(settings.dogtagFiles?.identity?.certPem ?? "", /BEGIN CERTIFICATE/);
  assert.match(settings.dogtagFiles?.caBundlePem ?? "", /BEGIN CERTIFICATE/);
  const keyMissing = await issuesOf({
    "server.toml": tls,
    "backend.conf": `${base}clientCertFile=${good.certPath}\nclientKeyFile=${missing}\n`,
  });
  assert.match(keyMissing[0], /^backend\.conf:5: clientKeyFile: .*nope\.pem: cannot read: ENOENT/);
});

Deno.test("boundary: the local CA's operator files are checked as the CA would use them", async () => {
  const example = await Deno.readTextFile(new URL("../../config/examples/backend.conf", import.meta.url));
  const issues = await issuesOf({ "backend.conf": example });
  assert.ok(issues.length >= 1);
  assert.match(
    issues[0],
    /^backend\.conf:3: caCertFile: \/etc\/pki\/est\/ca\/issuing-ca\.pem: cannot read: ENOENT/,
  );
  const ca = serverCa;
  const conf = (cert: string, key: string, chain?: string) =>
    `class=local-ca\ncaCertFile=${cert}\ncaKeyFile=${key}\n${chain ? `caChainFile=${chain}\n` : ""}`;
  assert.deepEqual(await issuesOf({ "backend.conf": conf(ca.certPath, ca.keyPath, ca.certPath) }), []);
  assert.match(
    (await issuesOf({ "backend.conf": conf(ca.certPath, good.keyPath) }))[0],
    /^backend\.conf:3: caKeyFile: .*: the key does not belong/,
  );
  assert.match(
    (await issuesOf({ "backend.conf": conf(good.certPath, good.keyPath) }))[0],
    /^backend\.conf:2: caCertFile: .*: the certificate is not a CA/,
  );
  assert.match(
    (await issuesOf({ "backend.conf": conf(ca.certPath, join(fixtures, "no-such.key")) }))[0],
    /^backend\.conf:3: caKeyFile: .*no-such\.key: cannot read: /,
  );
  assert.match(
    (await issuesOf({ "backend.conf": conf(ca.certPath, junk) }))[0],
    /^backend\.conf:3: caKeyFile: .*: cannot use CA key/,
  );
  assert.match(
    (await issuesOf({ "backend.conf": conf(ca.certPath, ca.keyPath, junk) }))[0],
    /^backend\.conf:4: caChainFile: .*: no PEM certificate found/,
  );
});

Deno.test("boundary: a missing or unusable authoriser executable is refused at its line", async () => {
  const script = join(fixtures, "authz.sh");
  await Deno.writeTextFile(script, "#!/bin/sh\nexit 0\n");
  await Deno.chmod(script, 0o644);
  const conf = (path: string) => `class=external-process\nexecutable=${path}\n`;
  assert.deepEqual(await issuesOf({ "authorizer.conf": conf(script) }), [
    `authorizer.conf:2: executable: ${script} is not executable`,
  ]);
  assert.deepEqual(await issuesOf({ "authorizer.conf": conf(fixtures) }), [
    `authorizer.conf:2: executable: ${fixtures} is not a regular file`,
  ]);
  assert.match(
    (await issuesOf({ "authorizer.conf": conf(`${script}/below-a-file`) }))[0],
    /^authorizer\.conf:2: executable: .*below-a-file cannot be used: /,
  );
  assert.deepEqual(await issuesOf({ "authorizer.conf": conf("/nonexistent/estauthz") }), [
    "authorizer.conf:2: executable: /nonexistent/estauthz does not exist",
  ]);
  await Deno.chmod(script, 0o755);
  assert.deepEqual(await issuesOf({ "authorizer.conf": conf(script) }), []);
});

Deno.test("boundary: client trust anchors must be readable certificates", async () => {
  assert.deepEqual(await issuesOf({ "server.toml": `[server]\nclient_ca = "${junk}"\n` }), [
    `server.toml:2: server.client_ca: ${junk}: no PEM certificate found`,
  ]);
  const bad = join(fixtures, "bad-cert.pem");
  await Deno.writeTextFile(bad, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  assert.match(
    (await issuesOf({ "server.toml": `[server]\nclient_ca = "${bad}"\n` }))[0],
    /unparseable certificate/,
  );
  const settings = await loadSettings(
    await configDir({ "server.toml": `[server]\nclient_ca = "${serverCa.certPath}"\n` }),
  );
  assert.equal(settings.server.clientCa.length, 1);
});

Deno.test("boundary: label issuance settings must fit the backend that issues", async () => {
  const tls = tlsToml(good.certPath, good.keyPath);
  const dogtag = "class=dogtag-ra\nurl=https://ca.example.com:8443\nprofile=estServiceCert\n";
  assert.deepEqual(
    await issuesOf({
      "server.toml": `${tls}[labels.iot]\nvalidity_days = 7\nextended_key_usage = "clientAuth"\n`,
      "backend.conf": dogtag,
    }),
    [
      'server.toml:6: labels.iot.validity_days: the Dogtag CA\'s profile decides this; give the label a CA profile instead (profile = "...")',
      'server.toml:7: labels.iot.extended_key_usage: the Dogtag CA\'s profile decides this; give the label a CA profile instead (profile = "...")',
    ],
  );
  const settings = await loadSettings(
    await configDir({
      "server.toml": `${tls}[labels.iot]\nprofile = "caIoTCert"\n`,
      "backend.conf": dogtag,
    }),
  );
  assert.equal(settings.labels.iot.caProfile, "caIoTCert");
  assert.deepEqual(await issuesOf({ "server.toml": '[labels.iot]\nprofile = "caIoTCert"\n' }), [
    "server.toml:2: labels.iot.profile: a CA profile applies to the Dogtag RA backend; the local CA uses validity_days and extended_key_usage",
  ]);
});
