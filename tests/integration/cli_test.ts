import assert from "node:assert/strict";
import { join } from "node:path";
import { curl } from "../support/curl.ts";
import { makeCsr } from "../support/pki.ts";
import { certsFromPkcs7Base64 } from "../support/server.ts";
import { freePort, spawnServer } from "../support/server_process.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const root = new URL("../../", import.meta.url).pathname;
const main = join(root, "main.ts");

async function cli(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

async function copyDefaultConfig(port: number): Promise<string> {
  const dir = await tempDir({ prefix: "est-cli-" });
  const toml = await Deno.readTextFile(join(root, "config", "server.toml"));
  assert.match(toml, /bind = "127\.0\.0\.1:8443"/);
  const metrics = '\n[metrics]\nbind = "127.0.0.1:0"\n[publish]\nbind = "127.0.0.1:0"\n';
  await Deno.writeTextFile(
    join(dir, "server.toml"),
    toml.replace("127.0.0.1:8443", `127.0.0.1:${port}`) + metrics,
  );
  return dir;
}

Deno.test("cli: --help, --version and usage errors", opts, async () => {
  const help = await cli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /check-config/);
  assert.match((await cli(["--version"])).stdout.trim(), /^0\.1\.0 \(commit ([0-9a-f]{12}|unknown)\)$/);
  const unknown = await cli(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^unknown command "frobnicate"\n\n.*usage:/s);
  const none = await cli([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^no command given\n/);
  // A directory given without --config is named, not silently replaced by /etc/pki/est.
  const positional = await cli(["check-config", "config"]);
  assert.equal(positional.code, 2);
  assert.match(
    positional.stderr,
    /^check-config takes no arguments; unexpected "config" \(use --config DIR\)/,
  );
  const revokeNoSerial = await cli(["revoke", "--config", join(root, "config")]);
  assert.equal(revokeNoSerial.code, 2);
  assert.match(revokeNoSerial.stderr, /^revoke needs a hex serial/);
  const badFlag = await cli(["serve", "--bogus"]);
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /bogus/);
});

Deno.test("cli: check-config accepts the embedded default and hides its password", opts, async () => {
  const res = await cli(["check-config", "--config", join(root, "config")]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /class = "local-ca"/);
  assert.match(res.stdout, /password = "<redacted>"/);
  assert.doesNotMatch(res.stdout, /estpass/);
});

Deno.test(
  "cli: check-config refuses what serve would: missing CA files exit 2 naming the key",
  opts,
  async () => {
    const dir = await tempDir();
    await Deno.copyFile(join(root, "config", "examples", "backend.conf"), join(dir, "backend.conf"));
    const res = await cli(["check-config", "--config", dir]);
    assert.equal(res.code, 2);
    assert.match(
      res.stderr,
      /^backend\.conf:3: caCertFile: \/etc\/pki\/est\/ca\/issuing-ca\.pem: cannot read/m,
    );
    const port = freePort();
    const served = await cli(["serve", "--config", dir], { EST_CONFIG_DIR: dir, PORT: String(port) });
    assert.equal(served.code, 2);
    assert.equal(served.stderr, res.stderr);
  },
);

Deno.test("cli: check-config on a broken config exits 2 with file:line errors", opts, async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(join(dir, "server.toml"), '[server]\nbind = "nope"\n');
  await Deno.writeTextFile(join(dir, "authorizer.conf"), "class=external-process\ntimeout=zero\n");
  const res = await cli(["check-config"], { EST_CONFIG_DIR: dir });
  assert.equal(res.code, 2);
  assert.match(res.stderr, /^server\.toml:2: server\.bind: must be "host:port"/m);
  assert.match(res.stderr, /^authorizer\.conf:2: timeout: must be an integer/m);
  assert.match(res.stderr, /^authorizer\.conf:1: executable: is required/m);
  assert.equal(res.stdout, "");
});

Deno.test(
  "cli: check-config --connect tries the realm's directory and says when it cannot",
  opts,
  async () => {
    const dir = await tempDir();
    const port = freePort();
    await Deno.writeTextFile(
      join(dir, "realm.conf"),
      `class=com.netscape.cms.realm.PKILDAPRealm\nurl=ldap://127.0.0.1:${port}\nbindDN=cn=Directory Manager\n` +
        "bindPassword=Secret.123\nusersDN=ou=people\ngroupsDN=ou=groups\nconnectTimeout=2\n",
    );
    const plain = await cli(["check-config", "--config", dir]);
    assert.equal(plain.code, 0, "without --connect the directory is not asked");
    const res = await cli(["check-config", "--connect", "--config", dir]);
    assert.equal(res.code, 1);
    assert.match(res.stdout, /class = "ldap"/);
    assert.match(res.stdout, /bindPassword = "<redacted>"/);
    assert.match(
      res.stderr,
      new RegExp(`^realm: cannot connect: directory ldap://127\\.0\\.0\\.1:${port}: `, "m"),
    );
    assert.doesNotMatch(res.stdout + res.stderr, /Secret\.123/);
    const inMemory = await cli(["check-config", "--connect", "--config", join(root, "config")]);
    assert.equal(inMemory.code, 0, inMemory.stderr);
    assert.match(inMemory.stdout, /^# realm: connected$/m);
  },
);

Deno.test("cli: serve runs the embedded default; demo user enrolls; SIGTERM exits 0", opts, async () => {
  const port = freePort();
  const dir = await copyDefaultConfig(port);
  const server = await spawnServer(dir, port);
  try {
    const origin = server.origin;
    const cacerts = await curl(`${origin}/.well-known/est/cacerts`);
    const chain = join(dir, "chain.pem");
    await Deno.writeTextFile(chain, await certsFromPkcs7Base64(cacerts.text));
    const { csrDer } = await makeCsr(dir, "/CN=estuser");
    const res = await curl(`${origin}/.well-known/est/simpleenroll`, {
      cacert: chain,
      user: "estuser:estpass",
      body: csrDer.toBase64(),
      headers: { "Content-Type": "application/pkcs10" },
    });
    assert.equal(res.status, 200, res.text);
    const leaf = join(dir, "leaf.pem");
    await Deno.writeTextFile(leaf, await certsFromPkcs7Base64(res.text));
    await runOk("openssl", ["verify", "-CAfile", chain, leaf]);
  } finally {
    server.signal("SIGTERM");
  }
  const { code, stderr: log } = await server.finished;
  assert.equal(code, 0);
  const lines = log.trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(lines.some((l) => l.logger === "est.server" && l.port === port));
  assert.ok(lines.some((l) => l.logger === "est.access" && l.status === 200 && l.principal === "estuser"));
  assert.doesNotMatch(log, /estpass/);
  assert.ok((await Deno.stat(join(dir, "state", "local-ca", "ca.key.pem"))).isFile);
});

Deno.test("cli: a port already in use is a start failure (exit 1)", opts, async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    const res = await cli(["serve", "--config", await copyDefaultConfig(port)]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /start failed/);
  } finally {
    listener.close();
  }
});
