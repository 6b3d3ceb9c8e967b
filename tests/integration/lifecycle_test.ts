import assert from "node:assert/strict";
import { join } from "node:path";
import { curl } from "../support/curl.ts";
import { makeCsr, makeSelfSigned, writeTemp } from "../support/pki.ts";
import { ALICE, startTestServer } from "../support/server.ts";
import { configDirWith, freePort, spawnServer } from "../support/server_process.ts";
import { run, runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-lifecycle-" });
const REALM = `[realm]\nclass = "in-memory"\nusername = "alice"\npassword = "4me2Test"\n`;

/** The serial of the certificate the server presents to a new connection. */
async function servedSerial(port: number): Promise<string> {
  const shown = await run("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-showcerts"], "");
  const pem = shown.text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0];
  return (await runOk("openssl", ["x509", "-noout", "-serial"], pem)).text.trim();
}

/** Sends GET `path` on an open connection and reads one whole response. */
async function getOn(conn: Deno.TlsConn, path: string): Promise<string> {
  await conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: est\r\n\r\n`));
  let text = "";
  const buffer = new Uint8Array(16384);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error(`connection closed after: ${text}`);
    text += new TextDecoder().decode(buffer.subarray(0, n));
    const end = text.indexOf("\r\n\r\n");
    const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? NaN);
    if (end >= 0 && text.length >= end + 4 + length) return text;
  }
}

Deno.test(
  "lifecycle: SIGHUP serves a renewed TLS certificate to new connections, keeping open ones",
  opts,
  async () => {
    const port = freePort();
    const serverExt = [
      "subjectAltName=IP:127.0.0.1",
      "basicConstraints=critical,CA:false",
      "extendedKeyUsage=serverAuth",
    ];
    const first = await makeSelfSigned(tmp, "/CN=est.example", serverExt);
    const second = await makeSelfSigned(tmp, "/CN=est.example", serverExt, first.keyPath);
    const certPath = await writeTemp(tmp, "live.crt", await Deno.readTextFile(first.certPath));
    const dir = await configDirWith(port, `tls_cert = "${certPath}"\ntls_key = "${first.keyPath}"`, REALM);
    const server = await spawnServer(dir, port);
    try {
      const before = await servedSerial(port);
      const caCerts = [await Deno.readTextFile(first.certPath)];
      const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts });
      assert.match(await getOn(conn, "/health"), /^HTTP\/1\.1 200/);
      await Deno.writeTextFile(certPath, await Deno.readTextFile(second.certPath));
      server.signal("SIGHUP");
      let after = before;
      for (let i = 0; i < 50 && after === before; i++) {
        await new Promise((r) => setTimeout(r, 100));
        after = await servedSerial(port);
      }
      assert.notEqual(after, before, "new connections get the renewed certificate");
      assert.equal(
        after,
        (await runOk("openssl", ["x509", "-noout", "-serial", "-in", second.certPath])).text.trim(),
      );
      assert.match(await getOn(conn, "/health"), /^HTTP\/1\.1 200/, "the open connection still works");
      conn.close();

      // A configuration that does not load is refused; the server keeps serving as before.
      await Deno.writeTextFile(join(dir, "server.toml"), "[server\nbroken");
      server.signal("SIGHUP");
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await servedSerial(port), after);
      assert.equal((await curl(`${server.origin}/health`, { cacert: second.certPath })).status, 200);
    } finally {
      server.signal("SIGTERM");
    }
    const { code, stderr } = await server.finished;
    assert.equal(code, 0);
    assert.match(stderr, /configuration reloaded/);
    assert.match(stderr, /reload refused, keeping the running configuration/);
  },
);

Deno.test(
  "lifecycle: SIGHUP with a junk or mismatched certificate is refused and the old one kept; log settings apply",
  opts,
  async () => {
    const port = freePort();
    const serverExt = ["subjectAltName=IP:127.0.0.1", "extendedKeyUsage=serverAuth"];
    const good = await makeSelfSigned(tmp, "/CN=est.example", serverExt);
    const stranger = await makeSelfSigned(tmp, "/CN=est.example", serverExt);
    const certPath = await writeTemp(tmp, "hup.crt", await Deno.readTextFile(good.certPath));
    const dir = await configDirWith(port, `tls_cert = "${certPath}"\ntls_key = "${good.keyPath}"`, REALM);
    const server = await spawnServer(dir, port);
    const goodSerial = (await runOk("openssl", ["x509", "-noout", "-serial", "-in", good.certPath])).text
      .trim();
    const hup = async () => {
      server.signal("SIGHUP");
      await new Promise((r) => setTimeout(r, 700));
    };
    try {
      assert.equal(await servedSerial(port), goodSerial);
      await Deno.writeTextFile(certPath, "junk\n");
      await hup();
      assert.equal(await servedSerial(port), goodSerial, "a junk certificate is refused");
      await Deno.writeTextFile(certPath, await Deno.readTextFile(stranger.certPath));
      await hup();
      assert.equal(await servedSerial(port), goodSerial, "a certificate the key does not match is refused");
      assert.equal((await curl(`${server.origin}/health`, { cacert: good.certPath })).status, 200);
      // Good material again, with the log turned to text and a bind that needs a restart.
      await Deno.writeTextFile(certPath, await Deno.readTextFile(good.certPath));
      const toml = await Deno.readTextFile(join(dir, "server.toml"));
      await Deno.writeTextFile(
        join(dir, "server.toml"),
        toml.replace(`127.0.0.1:${port}"`, `127.0.0.1:${freePort()}"`) + '[log]\nformat = "text"\n',
      );
      await hup();
      assert.equal((await curl(`${server.origin}/health`, { cacert: good.certPath })).status, 200);
    } finally {
      server.signal("SIGTERM");
    }
    const { code, stderr } = await server.finished;
    assert.equal(code, 0);
    assert.match(
      stderr,
      /reload refused, keeping the running configuration: .*hup\.crt: no PEM certificate found/,
    );
    assert.match(stderr, /reload refused, .*the private key does not match the certificate/);
    assert.match(stderr, /changed settings that apply only after a restart: \[server\] bind/);
    // After the reload the log is text, with the access line's request ID and remote address.
    assert.match(stderr, /\[INFO\] est\.access: GET \/health 200 requestId=\S+ .*remoteAddr=127\.0\.0\.1/);
  },
);

Deno.test("lifecycle: SIGTERM lets a request in flight finish, then exits 0", opts, async () => {
  const port = freePort();
  const slow = await writeTemp(tmp, "slow-allow.sh", "#!/bin/sh\ncat > /dev/null\nsleep 1.5\nexit 0\n");
  await Deno.chmod(slow, 0o755);
  const authorizer = `[authorizer]\nclass = "external-process"\nexecutable = "${slow}"\ntimeout = 10\n`;
  const dir = await configDirWith(port, "", REALM + authorizer);
  const server = await spawnServer(dir, port);
  const csr = (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64();
  const inFlight = curl(`${server.origin}/.well-known/est/simpleenroll`, {
    user: ALICE.user,
    body: csr,
    headers: { "Content-Type": "application/pkcs10" },
  });
  await new Promise((r) => setTimeout(r, 500));
  server.signal("SIGTERM");
  const res = await inFlight;
  assert.equal(res.status, 200, res.text);
  const { code } = await server.finished;
  assert.equal(code, 0);
  const refused = await curl(`${server.origin}/health`).then(() => "answered", () => "refused");
  assert.equal(refused, "refused", "no longer listening");
});

Deno.test(
  "lifecycle: reload swaps the realm and authorizer in place; /ready follows the authorizer",
  opts,
  async () => {
    const authz = await writeTemp(tmp, "authz-ok.sh", "#!/bin/sh\ncat > /dev/null\nexit 0\n");
    await Deno.chmod(authz, 0o755);
    const srv = await startTestServer({ authorizer: { class: "external-process", executable: authz } });
    try {
      const ready = async () =>
        (await curl(`https://127.0.0.1:${srv.port}/ready`, { cacert: srv.caPath })).status;
      assert.equal(await ready(), 200);
      await Deno.rename(authz, `${authz}.away`);
      assert.equal(await ready(), 503, "authorizer gone");
      await Deno.rename(`${authz}.away`, authz);
      assert.equal(await ready(), 200, "and back");

      const toml = await Deno.readTextFile(join(srv.dir, "server.toml"));
      await Deno.writeTextFile(
        join(srv.dir, "server.toml"),
        toml.replace('password = "4me2Test"', 'password = "rotated"'),
      );
      assert.equal(await srv.server.reload(), true);
      const enroll = (user: string) =>
        makeCsr(tmp, "/CN=alice").then(({ csrDer }) =>
          curl(`${srv.base}/simpleenroll`, {
            cacert: srv.caPath,
            user,
            body: csrDer.toBase64(),
            headers: { "Content-Type": "application/pkcs10" },
          })
        );
      assert.equal((await enroll(ALICE.user)).status, 401, "the old password no longer works");
      assert.equal((await enroll("alice:rotated")).status, 200);

      await Deno.writeTextFile(join(srv.dir, "server.toml"), toml.replace("[realm]", "[realm]\nbogus = 1"));
      assert.equal(await srv.server.reload(), false);
      assert.equal((await enroll("alice:rotated")).status, 200, "a bad reload changes nothing");
    } finally {
      await srv.close();
    }
  },
);
