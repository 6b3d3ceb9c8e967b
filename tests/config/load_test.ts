import assert from "node:assert/strict";
import { join } from "node:path";
import type {
  BackendConfig,
  InMemoryRealmConfig,
  LocalCaConfig,
  RealmConfig,
} from "../../src/config/components.ts";
import { ConfigError, formatIssue } from "../../src/config/errors.ts";
import { loadConfig } from "../../src/config/load.ts";
import { tempDir } from "../support/temp.ts";

function inMemory(realm: RealmConfig | undefined): InMemoryRealmConfig {
  assert.equal(realm?.kind, "in-memory");
  return realm as InMemoryRealmConfig;
}

function localCa(backend: BackendConfig): LocalCaConfig {
  assert.equal(backend.kind, "local-ca");
  return backend as LocalCaConfig;
}

async function configDir(files: Record<string, string>): Promise<string> {
  const dir = await tempDir({ prefix: "est-config-" });
  for (const [name, content] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), content);
  return dir;
}

async function issuesOf(files: Record<string, string>): Promise<string[]> {
  const dir = await configDir(files);
  try {
    loadConfig(dir);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split("\n").map((l) => l.replace(`${dir}/`, ""));
    throw err;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  throw new Error("expected a ConfigError");
}

Deno.test("config: an empty directory means every default (local CA, loopback)", async () => {
  const dir = await configDir({});
  const config = loadConfig(dir);
  assert.deepEqual(config.server.bind, { host: "127.0.0.1", port: 8443 });
  assert.equal(config.server.state_dir, join(dir, "state"));
  assert.equal(config.server.max_body_bytes, 65536);
  assert.equal(config.server.workers, navigator.hardwareConcurrency);
  assert.deepEqual(config.metrics.bind, { host: "127.0.0.1", port: 8453 });
  assert.equal(config.log.format, "json");
  assert.deepEqual(config.audit, { path: join(dir, "state", "audit.jsonl") });
  assert.equal(config.est.base64_line_length, 0);
  assert.equal(config.backend.kind, "local-ca");
  assert.equal(localCa(config.backend).keyType, "P-256");
  assert.equal(localCa(config.backend).validityDays, 90);
  assert.equal(config.realm, undefined);
  assert.deepEqual(config.authorizer, { kind: "none", enrollMatchTLSSubjSAN: true });
  assert.deepEqual(config.sources, { backend: "default", realm: "default", authorizer: "default" });
});

Deno.test("config: a missing directory is a config error", () => {
  assert.throws(() => loadConfig("/nonexistent/est-config"), /configuration directory does not exist/);
});

Deno.test("config: a full server.toml with every section", async () => {
  const dir = await configDir({
    "server.toml": `
[server]
bind = "[::1]:9443"
tls_cert = "tls/cert.pem"
tls_key = "/abs/key.pem"
client_ca = "clients.pem"
state_dir = "/var/lib/est"
max_body_bytes = 2048
request_timeout = 5
shutdown_grace = 3
workers = "auto"
handshake_timeout = 5
header_timeout = 7
max_connections = 500
max_connections_per_ip = 20
client_chain_max_certs = 4
client_chain_max_length = 3
client_cert_max_bytes = 4096
client_chain_time_budget_ms = 250

[metrics]
bind = "127.0.0.1:19090"
enabled = false

[log]
level = "debug"
format = "text"

[audit]
path = "logs/audit.jsonl"

[est]
compat = "dogtag"
base64_line_length = 76
base64_line_ending = "crlf"
csrattrs = ["challengePassword", "ecPublicKey=secp384r1", "extensionRequest=macAddress+1.2.3.4"]

[auth]
realm_name = "Devices"
methods = ["cert", "basic", "cert"]
cert_excludes_basic = false
certificate_roles = "device, estclient"
client_cert_eku = "if-present"
allowed_subject_attributes = ["O=Example", "ou=*"]
allowed_subject_alt_names = "dns={identity}, otherName:1.3.6.1.4.1.311.20.2.3=*"

[labels.iot]
validity_days = 7
extended_key_usage = ["clientAuth", "1.3.6.1.5.5.7.3.17"]
csrattrs = "ecdsaWithSHA384"
auth_methods = "cert"
cert_excludes_basic = true
allowed_subject_alt_names = ["ip=192.0.2.1"]

[backend]
class = "local-ca"
keyType = "RSA-3072"
subject = "CN=Test CA, O=Example"
caValidityDays = 365
validityDays = "30"
extendedKeyUsage = "serverAuth"
minRsaBits = 3072
minRsaExponent = 3

[realm]
class = "in-memory"
username = "alice"
password = "4me2Test"
roles = ["estclient", "EST Users"]
fullName = "Alice Example"

[authorizer]
class = "external-process"
executable = "bin/estauthz"
timeout = 10
enrollMatchTLSSubjSAN = "FALSE"
maxConcurrent = 4
maxQueued = "0"
`,
  });
  const c = loadConfig(dir);
  assert.deepEqual(c.server.bind, { host: "::1", port: 9443 });
  assert.equal(c.server.tls_cert, join(dir, "tls/cert.pem"));
  assert.equal(c.server.tls_key, "/abs/key.pem");
  assert.equal(c.server.client_ca, join(dir, "clients.pem"));
  assert.equal(c.server.state_dir, "/var/lib/est");
  assert.equal(c.server.workers, navigator.hardwareConcurrency);
  assert.deepEqual(
    [
      c.server.handshake_timeout,
      c.server.header_timeout,
      c.server.max_connections,
      c.server.max_connections_per_ip,
    ],
    [5, 7, 500, 20],
  );
  assert.deepEqual(
    [
      c.server.client_chain_max_certs,
      c.server.client_chain_max_length,
      c.server.client_cert_max_bytes,
      c.server.client_chain_time_budget_ms,
    ],
    [4, 3, 4096, 250],
  );
  assert.equal(c.metrics.enabled, false);
  assert.deepEqual(c.log, { level: "debug", format: "text" });
  assert.deepEqual(c.audit, { path: join(dir, "logs/audit.jsonl") });
  assert.equal(c.est.compat, "dogtag");
  assert.equal(c.est.base64_line_ending, "crlf");
  assert.deepEqual(c.est.csrattrs, [
    { oid: "1.2.840.113549.1.9.7", values: [] },
    { oid: "1.2.840.10045.2.1", values: ["1.3.132.0.34"] },
    { oid: "1.2.840.113549.1.9.14", values: ["1.3.6.1.1.1.1.22", "1.2.3.4"] },
  ]);
  assert.deepEqual(c.auth, {
    realm_name: "Devices",
    methods: ["cert", "basic"],
    cert_excludes_basic: false,
    certificate_roles: ["device", "estclient"],
    client_cert_eku: "if-present",
    allowed_subject_attributes: [
      { type: "2.5.4.10", value: { kind: "literal", text: "example" }, entry: "O=Example" },
      { type: "2.5.4.11", value: { kind: "any" }, entry: "ou=*" },
    ],
    allowed_subject_alt_names: [
      { type: "dns", value: { kind: "identity" }, entry: "dns={identity}" },
      {
        type: "otherName",
        oid: "1.3.6.1.4.1.311.20.2.3",
        value: { kind: "any" },
        entry: "otherName:1.3.6.1.4.1.311.20.2.3=*",
      },
    ],
  });
  assert.deepEqual(c.labels.iot, {
    validity_days: 7,
    extended_key_usage: ["1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.17"],
    csrattrs: [{ oid: "1.2.840.10045.4.3.3", values: [] }],
    auth_methods: ["cert"],
    cert_excludes_basic: true,
    allowed_subject_alt_names: [{
      type: "ip",
      value: { kind: "literal", text: "192.0.2.1" },
      entry: "ip=192.0.2.1",
    }],
  });
  assert.equal(localCa(c.backend).minRsaExponent, 3);
  assert.equal(localCa(c.backend).keyType, "RSA-3072");
  assert.equal(localCa(c.backend).validityDays, 30);
  assert.deepEqual(localCa(c.backend).extendedKeyUsage, ["1.3.6.1.5.5.7.3.1"]);
  assert.deepEqual(c.realm, {
    kind: "in-memory",
    username: "alice",
    password: "4me2Test",
    roles: ["estclient", "EST Users"],
    fullName: "Alice Example",
    demo: false,
  });
  assert.deepEqual(c.authorizer, {
    kind: "external-process",
    executable: join(dir, "bin/estauthz"),
    timeout: 10,
    enrollMatchTLSSubjSAN: false,
    maxConcurrent: 4,
    maxQueued: 0,
  });
  assert.deepEqual(c.sources, { backend: "server.toml", realm: "server.toml", authorizer: "server.toml" });
});

Deno.test("config: Dogtag .conf files load with Dogtag class names and keys", async () => {
  const dir = await configDir({
    "realm.conf":
      "class=com.netscape.cms.realm.PKIInMemoryRealm\nusername=alice\npassword=4me2Test\nroles=estclient, EST Users \n",
    "authorizer.conf":
      "class=org.dogtagpki.est.ExternalProcessRequestAuthorizer\nexecutable=/usr/share/pki/est/bin/estauthz\nenrollMatchTLSSubjSAN=\n",
    "backend.conf": "class=local-ca\nvalidityDays=10\n",
  });
  const c = loadConfig(dir);
  assert.deepEqual(inMemory(c.realm).roles, ["estclient", "EST Users"]);
  assert.equal(inMemory(c.realm).fullName, "Administrator");
  assert.equal(c.authorizer.kind, "external-process");
  assert.equal(c.authorizer.enrollMatchTLSSubjSAN, true, "a blank value keeps the default");
  assert.equal(localCa(c.backend).validityDays, 10);
  assert.deepEqual(c.sources, {
    backend: "backend.conf",
    realm: "realm.conf",
    authorizer: "authorizer.conf",
  });
});

Deno.test("config: aliases select the same components", async () => {
  const dir = await configDir({
    "realm.conf": "class=in-memory\nusername=u\npassword=p\n",
    "authorizer.conf": "class=external-process\nexecutable=/bin/true\n",
  });
  const c = loadConfig(dir);
  assert.equal(c.realm?.kind, "in-memory");
  assert.equal(c.authorizer.kind, "external-process");
});

Deno.test("config: errors name file, line and key", async () => {
  const issues = await issuesOf({
    "server.toml": `[server]
bind = "nowhere"
max_body_bytes = 10
tls_cert = "only-cert.pem"
surprise = 1

[log]
level = "loud"

[est]
base64_line_length = 70
csrattrs = ["bogusName", "ecPublicKey=", "x=1.2.3"]

[labels."bad label"]
validity_days = 1

[labels.ok]
extended_key_usage = ["notAUsage"]

[mystery]
`,
  });
  assert.deepEqual(issues, [
    'server.toml:2: server.bind: must be "host:port" or "[ipv6]:port", got "nowhere"',
    "server.toml:3: server.max_body_bytes: must be at least 1024",
    "server.toml:5: server.surprise: unknown key",
    "server.toml:8: log.level: must be one of trace, debug, info, warning, error, fatal",
    "server.toml:11: est.base64_line_length: must be 0 (no wrapping) or a multiple of 4",
    'server.toml:12: est.csrattrs: "bogusName" is not "name-or-oid" or "type=value+value" with known names or dotted OIDs',
    'server.toml:12: est.csrattrs: "ecPublicKey=" is not "name-or-oid" or "type=value+value" with known names or dotted OIDs',
    'server.toml:12: est.csrattrs: "x=1.2.3" is not "name-or-oid" or "type=value+value" with known names or dotted OIDs',
    "server.toml:14: labels.bad label: label names are 1-64 of A-Z a-z 0-9 . _ ~ - (first alphanumeric)",
    'server.toml:18: labels.ok.extended_key_usage: unknown extended key usage "notAUsage"',
    "server.toml:20: mystery: unknown key",
  ]);
});

Deno.test("config: auth methods must be known and not empty", async () => {
  assert.deepEqual(
    await issuesOf({
      "server.toml":
        '[auth]\nmethods = []\nclient_cert_eku = "sometimes"\n[labels.x]\nauth_methods = ["kerberos"]\n',
    }),
    [
      "server.toml:2: auth.methods: must name at least one method",
      'server.toml:3: auth.client_cert_eku: must be "required" or "if-present"',
      "server.toml:5: labels.x.auth_methods: methods are basic, cert",
    ],
  );
});

Deno.test("config: workers are a count or auto", async () => {
  assert.equal(loadConfig(await configDir({ "server.toml": "[server]\nworkers = 3\n" })).server.workers, 3);
  assert.deepEqual(await issuesOf({ "server.toml": '[server]\nworkers = "many"\n' }), [
    'server.toml:2: server.workers: must be "auto" or an integer from 1 to 64',
  ]);
});

Deno.test("config: auditing can be switched off", async () => {
  const dir = await configDir({ "server.toml": "[audit]\nenabled = false\n" });
  assert.deepEqual(loadConfig(dir).audit, { path: undefined });
});

Deno.test("config: a value of the wrong type", async () => {
  assert.deepEqual(
    await issuesOf({ "server.toml": '[realm]\nclass = "in-memory"\nusername = 5\npassword = "p"\n' }),
    [
      "server.toml:3: realm.username: must be a string",
    ],
  );
});

Deno.test("config: labels must be a table", async () => {
  assert.deepEqual(await issuesOf({ "server.toml": "labels = 5\n" }), [
    "server.toml:1: labels: must be a table of labels",
  ]);
});

Deno.test("config: type errors in component keys from .conf files", async () => {
  const issues = await issuesOf({
    "authorizer.conf":
      "class=org.dogtagpki.est.ExternalProcessRequestAuthorizer\n# comment\ntimeout=0\nenrollMatchTLSSubjSAN=maybe\nexecutable=/bin/true\nextra=1\n",
    "realm.conf": "class=in-memory\nusername=u\nroles=a\n",
    "backend.conf": "class=local-ca\nkeyType=P-999\nvalidityDays=1.5\ncaChainFile=chain.pem\n",
  });
  assert.deepEqual(issues, [
    "backend.conf:2: keyType: must be one of P-256, P-384, RSA-2048, RSA-3072, RSA-4096",
    "backend.conf:3: validityDays: must be an integer",
    "realm.conf:1: password: is required",
    "authorizer.conf:3: timeout: must be at least 1",
    'authorizer.conf:4: enrollMatchTLSSubjSAN: must be "true" or "false"',
    "authorizer.conf:6: extra: unknown key",
  ]);
});

Deno.test("config: class problems: missing, unknown, not yet available", async () => {
  assert.deepEqual(await issuesOf({ "realm.conf": "username=u\n" }), [
    'realm.conf: class: a "class" key is required',
  ]);
  assert.deepEqual(await issuesOf({ "server.toml": '[realm]\nclass = "org.example.Nope"\n' }), [
    'server.toml:2: realm.class: unknown realm class "org.example.Nope"; expected one of com.netscape.cms.realm.PKIInMemoryRealm, in-memory, com.netscape.cms.realm.PKILDAPRealm, ldap, com.netscape.cms.realm.PKIPostgreSQLRealm, postgresql',
  ]);
  assert.deepEqual(await issuesOf({ "server.toml": "[backend]\nkeyType = 'P-256'\n" }), [
    'server.toml:1: backend.class: a "class" key is required',
  ]);
});

Deno.test("config: a component configured both ways, or not as a table", async () => {
  assert.deepEqual(
    await issuesOf({ "server.toml": '[realm]\nclass = "in-memory"\n', "realm.conf": "class=in-memory\n" }),
    ["server.toml:1: realm: configured both here and in realm.conf; keep one"],
  );
  assert.deepEqual(await issuesOf({ "server.toml": 'backend = "local-ca"\n' }), [
    "server.toml:1: backend: must be a table",
  ]);
});

Deno.test("config: nested TOML keys in a component flatten to Dogtag's dotted keys", async () => {
  const issues = await issuesOf({
    "server.toml": '[backend]\nclass = "local-ca"\nfullcmc.profile = "x"\nwhen = 1979-05-27\n',
  });
  assert.deepEqual(issues, [
    "server.toml:3: backend.fullcmc.profile: unknown key",
    "server.toml:4: backend.when: unknown key",
  ]);
});

Deno.test("config: paired keys go together", async () => {
  assert.deepEqual(await issuesOf({ "server.toml": '[server]\ntls_cert = "c.pem"\n' }), [
    "server.toml:2: server.tls_cert: tls_cert and tls_key must be given together",
  ]);
  assert.deepEqual(await issuesOf({ "backend.conf": "class=local-ca\ncaChainFile=chain.pem\n" }), [
    "backend.conf:2: caChainFile: caChainFile needs caCertFile and caKeyFile",
  ]);
  assert.deepEqual(await issuesOf({ "backend.conf": "class=local-ca\ncaCertFile=ca.pem\n" }), [
    "backend.conf:2: caCertFile: caCertFile and caKeyFile must be given together",
  ]);
  const dir = await configDir({ "backend.conf": "class=local-ca\ncaCertFile=ca.pem\ncaKeyFile=ca.key\n" });
  assert.equal(localCa(loadConfig(dir).backend).caCertFile, join(dir, "ca.pem"));
});

Deno.test("config: a malformed properties file reports its line", async () => {
  assert.deepEqual(await issuesOf({ "realm.conf": "class=in-memory\nusername=\\uZZZZ\n" }), [
    "realm.conf:2: malformed \\uXXXX escape",
  ]);
});

Deno.test("config: an unreadable file is reported", async () => {
  const dir = await configDir({});
  await Deno.mkdir(join(dir, "server.toml"));
  assert.throws(() => loadConfig(dir), /^Error|server\.toml: cannot read: /);
});

Deno.test("config: demo credentials are refused on a non-loopback bind", async () => {
  const demo = '[realm]\nclass = "in-memory"\nusername = "u"\npassword = "p"\ndemo = true\n';
  assert.deepEqual(await issuesOf({ "server.toml": `[server]\nbind = "0.0.0.0:8443"\n${demo}` }), [
    'server.toml:7: realm.demo: the realm holds the published demo credentials, which are refused on the non-loopback bind 0.0.0.0; set your own password and remove "demo"',
  ]);
  assert.deepEqual(
    await issuesOf({
      "server.toml": '[server]\nbind = "192.0.2.1:8443"\n',
      "realm.conf": "class=in-memory\nusername=u\npassword=p\ndemo=true\n",
    }),
    [
      'realm.conf:4: demo: the realm holds the published demo credentials, which are refused on the non-loopback bind 192.0.2.1; set your own password and remove "demo"',
    ],
  );
  // The password is what is checked: removing the flag and keeping a published password does not pass.
  for (const password of ["estpass", "Secret.123", "4me2Test"]) {
    assert.deepEqual(
      await issuesOf({
        "server.toml":
          `[server]\nbind = "0.0.0.0:8443"\n[realm]\nclass = "in-memory"\nusername = "estuser"\npassword = "${password}"\n`,
      }),
      [
        "server.toml:6: realm.password: a published demo password is refused on the non-loopback bind 0.0.0.0; set a password of your own",
      ],
    );
  }
  assert.equal(
    loadConfig(
      await configDir({
        "server.toml":
          '[server]\nbind = "0.0.0.0:8443"\n[realm]\nclass = "in-memory"\nusername = "u"\npassword = "own secret"\n',
      }),
    ).realm?.kind,
    "in-memory",
  );
  for (const host of ["127.0.0.1", "[::1]", "localhost", "127.1.2.3"]) {
    const dir = await configDir({ "server.toml": `[server]\nbind = "${host}:8443"\n${demo}` });
    assert.equal(inMemory(loadConfig(dir).realm).demo, true);
  }
});

Deno.test("config: issues format with and without line and key", () => {
  assert.equal(formatIssue({ file: "a.conf", message: "m" }), "a.conf: m");
  assert.equal(formatIssue({ file: "a.conf", line: 3, message: "m" }), "a.conf:3: m");
  assert.equal(formatIssue({ file: "a.conf", line: 3, key: "k", message: "m" }), "a.conf:3: k: m");
});

Deno.test("config: the shipped examples and the embedded default load", async () => {
  const examples = new URL("../../config/examples/", import.meta.url).pathname;
  // A file is one component's example; a directory holds files that go into one config dir together.
  for await (const entry of Deno.readDir(examples)) {
    const path = join(examples, entry.name);
    const files: Record<string, string> = {};
    if (entry.isDirectory) {
      for await (const f of Deno.readDir(path)) files[f.name] = await Deno.readTextFile(join(path, f.name));
    } else {
      files[entry.name] = await Deno.readTextFile(path);
    }
    const config = loadConfig(await configDir(files));
    for (const name of Object.keys(files)) {
      assert.equal(config.sources[name.replace(".conf", "") as "realm"], name, `${entry.name}: ${name}`);
    }
  }
  const embedded = loadConfig(new URL("../../config/", import.meta.url).pathname);
  assert.equal(inMemory(embedded.realm).demo, true);
  assert.equal(embedded.server.bind.host, "127.0.0.1");
});

Deno.test("config: [crypto] provider is auto by default, one of three names otherwise", async () => {
  assert.deepEqual(loadConfig(await configDir({})).crypto, { provider: "auto" });
  for (const provider of ["auto", "openssl", "webcrypto"]) {
    const dir = await configDir({ "server.toml": `[crypto]\nprovider = "${provider}"\n` });
    assert.equal(loadConfig(dir).crypto.provider, provider);
  }
  assert.deepEqual(await issuesOf({ "server.toml": '[crypto]\nprovider = "boringssl"\nengine = "x"\n' }), [
    'server.toml:2: crypto.provider: must be "auto", "openssl" or "webcrypto"',
    "server.toml:3: crypto.engine: unknown key",
  ]);
});

Deno.test("config: the local CA's smallest RSA exponent is odd, 3 to 65537", async () => {
  assert.deepEqual(await issuesOf({ "backend.conf": "class=local-ca\nminRsaExponent=4\n" }), [
    "backend.conf:2: minRsaExponent: must be odd",
  ]);
  assert.deepEqual(await issuesOf({ "backend.conf": "class=local-ca\nminRsaExponent=1\n" }), [
    "backend.conf:2: minRsaExponent: must be at least 3",
  ]);
});

Deno.test("config: deferred issuance, csrattrs enforcement and server key generation settings", async () => {
  const dir = await configDir({
    "server.toml": '[est]\nretry_after = 120\n[labels.x]\napproval = "manual"\nenforce_csrattrs = true\n' +
      'server_key_type = "RSA-3072"\n',
    "backend.conf":
      "class=dogtag-ra\nurl=https://ca.example.com:8443\nprofile=estServiceCert\nautoApprove=false\n",
  });
  const c = loadConfig(dir);
  assert.equal(c.est.retry_after, 120);
  assert.equal(c.labels.x.approval, "manual");
  assert.equal(c.labels.x.enforce_csrattrs, true);
  assert.equal(c.labels.x.server_key_type, "RSA-3072");
  assert.equal(c.backend.kind === "dogtag-ra" && c.backend.autoApprove, false);
  assert.equal(loadConfig(await configDir({ "server.toml": "" })).est.retry_after, 60);
  assert.deepEqual(
    await issuesOf({
      "server.toml":
        '[est]\nretry_after = 0\n[labels.x]\napproval = "sometimes"\nenforce_csrattrs = "yes"\n' +
        'server_key_type = "DSA"\n',
    }),
    [
      "server.toml:2: est.retry_after: must be at least 1",
      'server.toml:5: labels.x.enforce_csrattrs: must be "true" or "false"',
      'server.toml:4: labels.x.approval: must be "auto" or "manual"',
      "server.toml:6: labels.x.server_key_type: must be one of P-256, P-384, P-521, RSA-2048, RSA-3072, " +
      "RSA-4096, Ed25519",
    ],
  );
});
