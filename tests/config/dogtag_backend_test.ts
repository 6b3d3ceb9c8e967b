import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "smol-toml";
import type { BackendConfig, DogtagRaConfig } from "../../src/config/components.ts";
import { renderEffectiveConfig } from "../../src/config/effective.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { loadConfig } from "../../src/config/load.ts";
import { tempDir } from "../support/temp.ts";

async function configDir(files: Record<string, string>): Promise<string> {
  const dir = await tempDir({ prefix: "est-dogtag-config-" });
  for (const [name, content] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), content);
  return dir;
}

function dogtag(backend: BackendConfig): DogtagRaConfig {
  assert.equal(backend.kind, "dogtag-ra");
  return backend as DogtagRaConfig;
}

async function issuesOf(files: Record<string, string>): Promise<string[]> {
  const dir = await configDir(files);
  try {
    loadConfig(dir);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split("\n").map((l) => l.replaceAll(`${dir}/`, ""));
    throw err;
  }
  throw new Error("expected a ConfigError");
}

const HEAD = "class=org.dogtagpki.est.DogtagRABackend\nurl=https://ca.example.com:8443\n";

Deno.test("dogtag config: Dogtag's CI backend.conf loads unchanged", async () => {
  const dir = await configDir({
    "backend.conf":
      "class=org.dogtagpki.est.DogtagRABackend\nurl=https://pki.example.com:8443\nprofile=estServiceCert\nusername=est-ra-1\npassword=est4ever\n",
  });
  assert.deepEqual(loadConfig(dir).backend, {
    kind: "dogtag-ra",
    url: "https://pki.example.com:8443",
    profile: "estServiceCert",
    username: "est-ra-1",
    password: "est4ever",
    timeout: 30,
    autoApprove: true,
  });
});

Deno.test("dogtag config: the shipped file, the alias, and every extra key", async () => {
  const shipped = await configDir({
    "backend.conf":
      "class=org.dogtagpki.est.DogtagRABackend\nurl=https://fedora:8443/\nprofile=estServiceCert\n\n# Profile for /fullcmc\nfullcmc.profile=estFullcmcDeviceCert\n",
  });
  const c = dogtag(loadConfig(shipped).backend);
  assert.equal(c.url, "https://fedora:8443");
  assert.equal(c["fullcmc.profile"], "estFullcmcDeviceCert");
  assert.equal(c.username, undefined);
  assert.equal(c.password, undefined);

  const full = await configDir({
    "server.toml": `[backend]
class = "dogtag-ra"
url = "https://ca.example.com:8443"
profile = "estServiceCert"
fullcmc.profile = "estFullcmcDeviceCert"
clientPKCS12File = "ra.p12"
clientPKCS12PasswordFile = "/etc/pki/est/ra.p12.pass"
caBundle = "ca-chain.pem"
timeout = 5
`,
  });
  const d = dogtag(loadConfig(full).backend);
  assert.equal(d["fullcmc.profile"], "estFullcmcDeviceCert");
  assert.equal(d.clientPKCS12File, join(full, "ra.p12"));
  assert.equal(d.clientPKCS12PasswordFile, "/etc/pki/est/ra.p12.pass");
  assert.equal(d.caBundle, join(full, "ca-chain.pem"));
  assert.equal(d.timeout, 5);
  const pem = await configDir({
    "backend.conf": `${HEAD}profile=p\nclientCertFile=ra.crt\nclientKeyFile=ra.key\n`,
  });
  assert.equal(dogtag(loadConfig(pem).backend).clientKeyFile, join(pem, "ra.key"));
});

Deno.test("dogtag config: passwordFile is a properties file whose password wins", async () => {
  const dir = await configDir({
    "backend.conf": `${HEAD}profile=p\nusername=est-ra-1\npassword=ignored\npasswordFile=ra.pass\n`,
    "ra.pass": "# CA agent password\npassword = s3cr\\u0065t\n",
  });
  const c = dogtag(loadConfig(dir).backend);
  assert.equal(c.password, "s3cret");
  assert.equal(c.passwordFile, join(dir, "ra.pass"));
  const text = renderEffectiveConfig(loadConfig(dir));
  assert.ok(!text.includes("s3cret") && !text.includes("ignored"), text);
  const doc = parse(text) as Record<string, Record<string, unknown>>;
  assert.equal(doc.backend.class, "dogtag-ra");
  assert.equal(doc.backend.password, "<redacted>");
  assert.equal(doc.backend.passwordFile, join(dir, "ra.pass"));
});

Deno.test("dogtag config: a bad passwordFile is reported at its line with the file's fault", async () => {
  const conf = `${HEAD}profile=p\nusername=est-ra-1\npasswordFile=ra.pass\n`;
  assert.deepEqual(await issuesOf({ "backend.conf": conf, "ra.pass": "pass=wrong-key\n" }), [
    'backend.conf:5: passwordFile: ra.pass has no "password" key',
  ]);
  assert.deepEqual(await issuesOf({ "backend.conf": conf, "ra.pass": "password=\n" }), [
    'backend.conf:5: passwordFile: ra.pass has no "password" key',
  ]);
  assert.deepEqual(await issuesOf({ "backend.conf": conf, "ra.pass": "\n\npassword=\\u12\n" }), [
    "backend.conf:5: passwordFile: ra.pass:3: malformed \\uXXXX escape",
  ]);
  const [missing] = await issuesOf({ "backend.conf": conf });
  assert.match(missing, /^backend\.conf:5: passwordFile: cannot read ra\.pass: /);
});

Deno.test("dogtag config: a missing profile says so (not Dogtag's 'password' message)", async () => {
  assert.deepEqual(await issuesOf({ "backend.conf": `${HEAD}username=u\npassword=p\n` }), [
    "backend.conf:1: profile: is required",
  ]);
});

Deno.test("dogtag config: nickname names the keys that replace it", async () => {
  assert.deepEqual(await issuesOf({ "backend.conf": `${HEAD}profile=p\nnickname=subsystem\n` }), [
    "backend.conf:4: nickname: NSS nicknames are not supported; export the certificate and key from the NSS database and give them as clientCertFile + clientKeyFile (PEM) or clientPKCS12File + clientPKCS12PasswordFile (PKCS#12)",
  ]);
});

Deno.test("dogtag config: url must be the CA's https base URL", async () => {
  const cases: [string, string][] = [
    ["http://ca.example.com:8080", "must be an https:// URL such as https://ca.example.com:8443"],
    ["ca.example.com:8443", "must be an https:// URL such as https://ca.example.com:8443"],
    ["https://", "must be an https:// URL such as https://ca.example.com:8443"],
    ["https://ca.example.com:8443/ca", "must be the CA's base URL (https://host:port), without a path"],
    ["https://u:p@ca.example.com:8443", "must be the CA's base URL (https://host:port), without a path"],
    ["https://ca.example.com:8443/?x=1", "must be the CA's base URL (https://host:port), without a path"],
  ];
  for (const [url, message] of cases) {
    assert.deepEqual(
      await issuesOf({ "backend.conf": `class=dogtag-ra\nurl=${url}\nprofile=p\n` }),
      [`backend.conf:2: url: ${message}`],
      url,
    );
  }
});

Deno.test("dogtag config: paired keys go together", async () => {
  const cases: [string, string][] = [
    [
      "clientCertFile=a.crt\n",
      "backend.conf:4: clientCertFile: clientCertFile and clientKeyFile must be given together",
    ],
    [
      "clientKeyFile=a.key\n",
      "backend.conf:4: clientKeyFile: clientCertFile and clientKeyFile must be given together",
    ],
    [
      "clientPKCS12PasswordFile=a.pass\n",
      "backend.conf:4: clientPKCS12PasswordFile: clientPKCS12File and clientPKCS12PasswordFile must be given together",
    ],
    [
      "clientPKCS12File=a.p12\n",
      "backend.conf:4: clientPKCS12File: clientPKCS12File and clientPKCS12PasswordFile must be given together",
    ],
    [
      "clientCertFile=a.crt\nclientKeyFile=a.key\nclientPKCS12File=a.p12\nclientPKCS12PasswordFile=a.pass\n",
      "backend.conf:6: clientPKCS12File: give the client certificate either as PEM (clientCertFile) or as PKCS#12 (clientPKCS12File)",
    ],
    [
      "username=u\n",
      "backend.conf:4: username: username and password (or passwordFile) must be given together",
    ],
    [
      "password=p\n",
      "backend.conf:4: password: username and password (or passwordFile) must be given together",
    ],
    ["timeout=0\n", "backend.conf:4: timeout: must be at least 1"],
  ];
  for (const [extra, issue] of cases) {
    assert.deepEqual(await issuesOf({ "backend.conf": `${HEAD}profile=p\n${extra}` }), [issue], extra);
  }
  const dir = await configDir({ "ra.pass": "password=x\n" });
  await Deno.writeTextFile(join(dir, "backend.conf"), `${HEAD}profile=p\npasswordFile=ra.pass\n`);
  assert.throws(
    () => loadConfig(dir),
    /backend\.conf:4: passwordFile: username and password \(or passwordFile\) must be given together/,
  );
});
