import "reflect-metadata";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runClientCaptured } from "../support/client_io.ts";
import { freePort } from "../support/server_process.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

/**
 * The built-in client against an independent EST server: globalsign/est's
 * estserver with its mock CA (built from source by the interop tooling, not
 * from a package, so this runs only where the binary is: $GSEST_SERVER or
 * ~/.cache/est-interop/gsest-estserver).
 */

const binary = Deno.env.get("GSEST_SERVER") ??
  join(Deno.env.get("HOME") ?? "/", ".cache/est-interop/gsest-estserver");
const present = existsSync(binary);
if (!present) console.warn(`note: ${binary} is not built; the globalsign interop test is ignored`);
const opts = { sanitizeOps: false, sanitizeResources: false, ignore: !present };

async function pki(dir: string): Promise<void> {
  const openssl = (args: string[]) => runOk("openssl", args);
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=GS Test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-keyout",
    join(dir, "ca.key"),
    "-out",
    join(dir, "ca.pem"),
  ]);
  await openssl([
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    join(dir, "tls.key"),
    "-out",
    join(dir, "tls.csr"),
  ]);
  await Deno.writeTextFile(join(dir, "ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await openssl([
    "x509",
    "-req",
    "-in",
    join(dir, "tls.csr"),
    "-CA",
    join(dir, "ca.pem"),
    "-CAkey",
    join(dir, "ca.key"),
    "-set_serial",
    "7",
    "-days",
    "2",
    "-extfile",
    join(dir, "ext"),
    "-out",
    join(dir, "tls.pem"),
  ]);
}

Deno.test("client: every operation against globalsign's estserver", opts, async () => {
  const dir = await tempDir({ prefix: "est-gs-" });
  await pki(dir);
  const port = freePort();
  const config = {
    mock_ca: { certificates: join(dir, "ca.pem"), private_key: join(dir, "ca.key") },
    tls: {
      listen_address: `127.0.0.1:${port}`,
      certificates: join(dir, "tls.pem"),
      private_key: join(dir, "tls.key"),
      client_cas: [join(dir, "ca.pem")],
    },
    rate_limit: 0,
    timeout: 30,
    log_file: join(dir, "gs.log"),
  };
  await Deno.writeTextFile(join(dir, "cfg.json"), JSON.stringify(config));
  const child = new Deno.Command(binary, {
    args: ["-config", join(dir, "cfg.json")],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const server = ["--server", `https://127.0.0.1:${port}`];
    const fingerprint =
      (await runOk("openssl", ["x509", "-in", join(dir, "ca.pem"), "-noout", "-fingerprint", "-sha256"]))
        .text.trim();
    const anchors = join(dir, "anchors.pem");
    let boot;
    for (let i = 0; i < 50; i++) {
      boot = await runClientCaptured([
        "cacerts",
        ...server,
        "--bootstrap",
        "--fingerprint",
        fingerprint,
        "--out",
        anchors,
      ]);
      if (boot.code === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(boot?.code, 0, boot?.stderr);
    const trusted = [...server, "--cacert", anchors];
    const basic = ["--user", "any", "--password", "any"];
    const file = (name: string) => join(dir, name);
    const ok = async (args: string[]) => {
      const result = await runClientCaptured(args);
      assert.equal(result.code, 0, `${args[0]}: ${result.stderr}`);
      return result;
    };
    assert.match((await ok(["csrattrs", ...trusted])).stdout, /no CSR attributes/);
    await ok([
      "enroll",
      ...trusted,
      ...basic,
      "--cn",
      "dev",
      "--dns",
      "dev.example",
      "--key-out",
      file("k1"),
      "--out",
      file("c1"),
    ]);
    await ok([
      "reenroll",
      ...trusted,
      "--cert",
      file("c1"),
      "--key",
      file("k1"),
      "--key-out",
      file("k2"),
      "--out",
      file("c2"),
    ]);
    await ok([
      "serverkeygen",
      ...trusted,
      ...basic,
      "--cn",
      "dev",
      "--key-out",
      file("k3"),
      "--out",
      file("c3"),
    ]);
    assert.equal((await Deno.stat(file("k3"))).mode! & 0o777, 0o600);
    for (const [cert, key] of [["c1", "k1"], ["c2", "k2"], ["c3", "k3"]]) {
      await runOk("openssl", ["verify", "-CAfile", join(dir, "ca.pem"), file(cert)]);
      const certKey = await runOk("openssl", ["x509", "-in", file(cert), "-noout", "-pubkey"]);
      const ownKey = await runOk("openssl", ["pkey", "-in", file(key), "-pubout"]);
      assert.equal(certKey.text, ownKey.text);
    }
    const labelled = [
      ...trusted,
      "--label",
      "triggererrors",
      ...basic,
      "--key-out",
      file("kx"),
      "--out",
      file("cx"),
    ];
    const forbidden = await runClientCaptured(["enroll", ...labelled, "--cn", "Trigger Error Forbidden"]);
    assert.equal(forbidden.code, 1);
    assert.match(
      forbidden.stderr,
      /HTTP 403: the server refused by policy: 403 triggered forbidden response/,
    );
    const deferred = await runClientCaptured([
      "enroll",
      ...labelled,
      "--cn",
      "Trigger Error Deferred",
      "--max-wait",
      "5",
    ]);
    assert.equal(deferred.code, 1);
    assert.match(deferred.stderr, /retry in 600 s, beyond --max-wait 5 s/);
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
});
