import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { makeCsr, writeTemp } from "../support/pki.ts";
import { ALICE, startTestServer } from "../support/server.ts";
import { run, runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

/**
 * /serverkeygen driven by real EST clients that read multipart/mixed: the
 * globalsign/est Go client (`estclient serverkeygen`, Go's MIME reader) and
 * libest's `estclient -q` (its own multipart parser, the key part first).
 * Each is looked for on PATH (`gsest-estclient`, `estclient`) or in $INTEROP
 * (default ~/.cache/est-interop, where the interop setup builds them); a test
 * whose client is missing is ignored.
 */
function clientBinary(name: string): string | undefined {
  const dir = Deno.env.get("INTEROP") ?? join(Deno.env.get("HOME") ?? "/root", ".cache", "est-interop");
  const built = join(dir, name);
  if (existsSync(built)) return built;
  const onPath = new Deno.Command("sh", { args: ["-c", `command -v ${name}`] }).outputSync();
  return onPath.success ? new TextDecoder().decode(onPath.stdout).trim() : undefined;
}

const client = clientBinary("gsest-estclient");
const libest = clientBinary("estclient");
const opts = { sanitizeOps: false, sanitizeResources: false, ignore: client === undefined };
const tmp = await tempDir({ prefix: "est-keygen-gs-" });

Deno.test(
  "serverkeygen: the globalsign estclient gets a key and its certificate, with and without a label",
  opts,
  async () => {
    const srv = await startTestServer({ labels: { p384: { server_key_type: "P-384" } } });
    try {
      const { csrPem } = await makeCsr(tmp, "/CN=alice");
      const csrPath = await writeTemp(tmp, "alice.csr", csrPem);
      for (const label of [undefined, "p384"]) {
        const out = join(tmp, `cert-${label}.pem`);
        const keyOut = join(tmp, `key-${label}.pem`);
        const args = ["serverkeygen", "-server", `127.0.0.1:${srv.port}`, "-explicit", srv.caPath];
        args.push(
          "-user",
          ALICE.username,
          "-pass",
          ALICE.password,
          "-csr",
          csrPath,
          "-out",
          out,
          "-keyout",
          keyOut,
        );
        if (label) args.push("-aps", label);
        const result = await run(client!, args);
        assert.equal(result.code, 0, `${label}: ${result.stderr}`);
        const keyPublic = await runOk("openssl", ["pkey", "-in", keyOut, "-pubout"]);
        const certPublic = await runOk("openssl", ["x509", "-in", out, "-noout", "-pubkey"]);
        assert.equal(keyPublic.text, certPublic.text, `${label}: the key is the certificate's`);
        const text = (await runOk("openssl", ["x509", "-in", out, "-noout", "-text"])).text;
        assert.match(text, label ? /NIST CURVE: P-384/ : /NIST CURVE: P-256/);
      }
    } finally {
      await srv.close();
    }
  },
);

Deno.test(
  "serverkeygen: libest estclient -q gets an RSA key and its certificate",
  { ...opts, ignore: libest === undefined },
  async () => {
    const srv = await startTestServer();
    try {
      // libest signs its CSR with -x KEY and refuses key parts under 256 bytes: RSA keys (the CSR's type).
      const keyPath = join(tmp, "libest-rsa.pem");
      await runOk("openssl", [
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        keyPath,
      ]);
      const out = await tempDir({ prefix: "est-libest-" });
      const args = ["-q", "-s", "127.0.0.1", "-p", String(srv.port), "-o", out, "--common-name", "alice"];
      args.push("-u", ALICE.username, "-h", ALICE.password, "-x", keyPath);
      const result = await new Deno.Command(libest!, {
        args,
        env: { EST_OPENSSL_CACERT: srv.caPath },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const log = new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
      // libest exits 0 even when it fails: its output files tell.
      const keyB64 = await Deno.readTextFile(join(out, "key-0-0.key")).catch(() => "");
      const p7B64 = await Deno.readTextFile(join(out, "cert-0-0.pkcs7")).catch(() => "");
      assert.ok(keyB64 !== "" && p7B64 !== "", log.slice(-2000));
      const keyDer = Uint8Array.fromBase64(keyB64.replace(/\s+/g, ""));
      const keyPublic = await runOk("openssl", ["pkey", "-inform", "DER", "-pubout"], keyDer);
      const p7Der = Uint8Array.fromBase64(p7B64.replace(/\s+/g, ""));
      const certPem = (await runOk("openssl", ["pkcs7", "-inform", "DER", "-print_certs"], p7Der)).text;
      const certPath = await writeTemp(tmp, "libest.pem", certPem);
      const certPublic = await runOk("openssl", ["x509", "-in", certPath, "-noout", "-pubkey"]);
      assert.equal(keyPublic.text, certPublic.text, "the key is the certificate's");
      const text = (await runOk("openssl", ["x509", "-in", certPath, "-noout", "-text"])).text;
      assert.match(text, /Public-Key: \(2048 bit\)/);
      assert.match(text, /Subject: CN ?= ?alice/);
      assert.notEqual(keyPublic.text, (await runOk("openssl", ["pkey", "-in", keyPath, "-pubout"])).text);
    } finally {
      await srv.close();
    }
  },
);
