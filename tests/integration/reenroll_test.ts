import assert from "node:assert/strict";
import { join } from "node:path";
import { enrollWithPassword, mintWithServerCa } from "../support/client_certs.ts";
import { curl } from "../support/curl.ts";
import { issueFromCa, makeCsr, makeOpensslCa, makeSelfSigned, writeTemp } from "../support/pki.ts";
import { certsFromPkcs7Base64, startTestServer, type TestServer } from "../support/server.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-reenroll-" });
const PKCS10 = { "Content-Type": "application/pkcs10" };
const root = new URL("../../", import.meta.url).pathname;

function reenroll(
  srv: TestServer,
  csrDer: Uint8Array<ArrayBuffer>,
  cred?: { certPath: string; keyPath: string },
) {
  return curl(`${srv.base}/simplereenroll`, {
    cacert: srv.caPath,
    cert: cred?.certPath,
    key: cred?.keyPath,
    body: csrDer.toBase64(),
    headers: PKCS10,
  });
}

async function verifies(srv: TestServer, body: string): Promise<string> {
  const pem = await certsFromPkcs7Base64(body);
  const leaf = await writeTemp(tmp, `${crypto.randomUUID()}.pem`, pem);
  assert.match((await runOk("openssl", ["verify", "-CAfile", srv.caPath, leaf])).text, /: OK/);
  return pem;
}

Deno.test("reenroll: with the issued certificate, same key and a new key", opts, async () => {
  const srv = await startTestServer();
  try {
    const before = await srv.issuedCount();
    const cred = await enrollWithPassword(srv, tmp, "/CN=alice", { san: "DNS:alice" });
    const sameKey = await makeCsr(tmp, "/CN=alice", { san: "DNS:alice", keyPath: cred.keyPath });
    const renewed = await reenroll(srv, sameKey.csrDer, cred);
    assert.equal(renewed.status, 200, renewed.text);
    assert.equal(renewed.headers.get("content-type"), "application/pkcs7-mime; smime-type=certs-only");
    const renewedPem = await verifies(srv, renewed.text);
    const rekey = await makeCsr(tmp, "/CN=alice", { san: "DNS:alice" });
    const rekeyed = await reenroll(srv, rekey.csrDer, cred);
    assert.equal(rekeyed.status, 200, rekeyed.text);
    const rekeyedPem = await verifies(srv, rekeyed.text);
    const pub = async (pem: string) => (await runOk("openssl", ["x509", "-noout", "-pubkey"], pem)).text;
    assert.equal(await pub(renewedPem), await pub(cred.pem), "same key kept");
    assert.notEqual(await pub(rekeyedPem), await pub(cred.pem), "new key");
    // The renewed certificate renews in turn.
    const second = await writeTemp(tmp, "second.pem", rekeyedPem);
    const again = await reenroll(srv, (await makeCsr(tmp, "/CN=alice", { san: "DNS:alice" })).csrDer, {
      certPath: second,
      keyPath: rekey.keyPath,
    });
    assert.equal(again.status, 200, again.text);
    assert.equal(await srv.issuedCount(), before + 4);
  } finally {
    await srv.close();
  }
});

Deno.test(
  "reenroll: each bad certificate or CSR is refused with Dogtag's message; nothing is issued",
  opts,
  async () => {
    const other = await makeOpensslCa(tmp, "Other CA");
    const srv = await startTestServer({
      server: { client_ca: other.certPath },
      labels: { servers: { extended_key_usage: ["serverAuth"] } },
    });
    try {
      const cred = await enrollWithPassword(srv, tmp, "/CN=alice", { san: "DNS:alice" });
      const plain = await enrollWithPassword(srv, tmp, "/CN=alice");
      const serverOnly = await enrollWithPassword(srv, tmp, "/CN=alice", { label: "servers" });
      const stranger = await makeSelfSigned(tmp, "/CN=alice", ["extendedKeyUsage=clientAuth"]);
      const otherLeaf = await issueFromCa(tmp, other, "/CN=alice");
      const untrusted = await makeOpensslCa(tmp, "Untrusted CA");
      const untrustedLeaf = await issueFromCa(tmp, untrusted, "/CN=alice");
      const expired = await mintWithServerCa(srv, tmp, "/CN=alice", {
        notBefore: new Date(Date.now() - 10 * 86_400_000),
        notAfter: new Date(Date.now() - 86_400_000),
      });
      const revoked = await enrollWithPassword(srv, tmp, "/CN=alice");
      const serial =
        (await runOk("openssl", ["x509", "-noout", "-serial"], revoked.pem)).text.trim().split("=")[1];
      const cli = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          join(root, "main.ts"),
          "revoke",
          "--config",
          srv.dir,
          serial,
          "--reason",
          "keyCompromise",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(cli.code, 0, new TextDecoder().decode(cli.stderr));
      assert.match(new TextDecoder().decode(cli.stdout), /^revoked [0-9a-f]+ \(CN=alice\): keyCompromise/);

      const csr = async (subject: string, san?: string) => (await makeCsr(tmp, subject, { san })).csrDer;
      const rejected = "Client certificate rejected: ";
      const cases: [
        string,
        Uint8Array<ArrayBuffer>,
        { certPath: string; keyPath: string } | undefined,
        number,
        string,
      ][] = [
        [
          "no certificate",
          await csr("/CN=alice", "DNS:alice"),
          undefined,
          403,
          "Unable to locate certificate to be renewed.",
        ],
        [
          "self-signed",
          await csr("/CN=alice"),
          stranger,
          403,
          `${rejected}certificate was not issued by a trusted CA`,
        ],
        [
          "another trusted CA",
          await csr("/CN=alice"),
          otherLeaf,
          403,
          `${rejected}certificate was not issued by this CA`,
        ],
        [
          "an untrusted CA",
          await csr("/CN=alice"),
          untrustedLeaf,
          403,
          `${rejected}certificate was not issued by a trusted CA`,
        ],
        [
          "expired",
          await csr("/CN=alice"),
          expired,
          403,
          `${rejected}certificate is expired or not yet valid`,
        ],
        ["revoked", await csr("/CN=alice"), revoked, 403, `${rejected}certificate has been revoked`],
        [
          "no clientAuth EKU",
          await csr("/CN=alice"),
          serverOnly,
          403,
          `${rejected}certificate extendedKeyUsage does not include clientAuth`,
        ],
        [
          "subject differs",
          await csr("/CN=mallory", "DNS:alice"),
          cred,
          403,
          "CSR subject does not match user certificate.",
        ],
        [
          "subject re-encoded",
          await csr("/O=x/CN=alice", "DNS:alice"),
          cred,
          403,
          "CSR subject does not match user certificate.",
        ],
        [
          "SAN differs",
          await csr("/CN=alice", "DNS:mallory"),
          cred,
          403,
          "SAN extensions of user certificate and CSR are not identical.",
        ],
        [
          "SAN added",
          await csr("/CN=alice", "DNS:alice"),
          plain,
          403,
          "User certificate does not have SubjectAlternativeName extension, but CSR does.",
        ],
        [
          "SAN dropped",
          await csr("/CN=alice"),
          cred,
          403,
          "User certificate has SubjectAlternativeName extension, but CSR does not.",
        ],
      ];
      const before = await srv.issuedCount();
      for (const [name, body, who, status, message] of cases) {
        const res = await reenroll(srv, body, who);
        assert.equal(res.status, status, `${name}: ${res.text}`);
        assert.equal(res.text, `${message}\n`, name);
      }
      assert.equal(await srv.issuedCount(), before, "nothing issued");
      const ok = await reenroll(srv, await csr("/CN=alice", "DNS:alice"), cred);
      assert.equal(ok.status, 200, "the good certificate still renews");
    } finally {
      await srv.close();
    }
  },
);

Deno.test("reenroll: the authoriser sees simplereenroll with toBeRenewed and the chain", opts, async () => {
  const seen = join(tmp, "renew-input.json");
  const script = await writeTemp(tmp, "renew-authz.sh", `#!/bin/sh\ncat > ${seen}\n`);
  await Deno.chmod(script, 0o755);
  const srv = await startTestServer({ authorizer: { class: "external-process", executable: script } });
  try {
    const cred = await enrollWithPassword(srv, tmp, "/CN=alice");
    const res = await reenroll(srv, (await makeCsr(tmp, "/CN=alice")).csrDer, cred);
    assert.equal(res.status, 200, res.text);
    const input = JSON.parse(await Deno.readTextFile(seen));
    const der = (await runOk("openssl", ["x509", "-outform", "DER"], cred.pem)).stdout.toBase64();
    assert.equal(input.operation, "simplereenroll");
    assert.equal(input.toBeRenewed, der);
    assert.equal(input.authzData.clientCertChain[0], der, "the chain as the client presented it, leaf first");
    assert.deepEqual(input.authzData.principal, { name: "CN=alice", roles: [] });
  } finally {
    await srv.close();
  }
});
