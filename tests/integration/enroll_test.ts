import assert from "node:assert/strict";
import { join } from "node:path";
import { curl, hasHeaderSpelled } from "../support/curl.ts";
import { makeCsr, writeTemp } from "../support/pki.ts";
import { ALICE, certsFromPkcs7Base64, startTestServer, type TestServer } from "../support/server.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-enroll-" });
const PKCS10 = { "Content-Type": "application/pkcs10" };

/** POSTs `body` to simpleenroll as alice and returns the response. */
function enroll(
  srv: TestServer,
  body: string | Uint8Array<ArrayBuffer>,
  more: Parameters<typeof curl>[1] = {},
) {
  return curl(`${srv.base}/simpleenroll`, {
    cacert: srv.caPath,
    user: ALICE.user,
    body,
    headers: PKCS10,
    ...more,
  });
}

/** Checks a 200 enroll response with openssl and returns the leaf PEM path. */
async function verifiedLeaf(srv: TestServer, body: string): Promise<string> {
  const leafPath = await writeTemp(tmp, `${crypto.randomUUID()}.pem`, await certsFromPkcs7Base64(body));
  const verify = await runOk("openssl", ["verify", "-CAfile", srv.caPath, leafPath]);
  assert.match(verify.text, /: OK/);
  return leafPath;
}

Deno.test("cacerts returns the CA chain as certs-only PKCS#7 that openssl reads", opts, async () => {
  const srv = await startTestServer();
  try {
    const res = await curl(`${srv.base}/cacerts`, { cacert: srv.caPath });
    assert.equal(res.status, 200);
    for (const name of ["Content-Type", "Content-Transfer-Encoding", "Content-Length", "X-Request-ID"]) {
      assert.ok(hasHeaderSpelled(res, name), `${name} spelled canonically:\n${res.rawHeaders}`);
    }
    assert.equal(res.headers.get("content-type"), "application/pkcs7-mime");
    assert.equal(res.headers.get("content-transfer-encoding"), "base64");
    assert.equal(res.headers.get("content-length"), String(res.body.byteLength));
    assert.equal(res.headers.get("transfer-encoding"), undefined);
    assert.match(res.text, /^[A-Za-z0-9+/=]+\n$/);
    const certs = await certsFromPkcs7Base64(res.text);
    assert.match(certs, /subject=CN = EST Local CA/);
    assert.equal(
      certs,
      await runOk("openssl", ["crl2pkcs7", "-nocrl", "-certfile", srv.caPath]).then(
        (r) => runOk("openssl", ["pkcs7", "-print_certs"], r.stdout),
      ).then((r) => r.text),
    );
    const head = await curl(`${srv.base}/cacerts`, { cacert: srv.caPath, extra: ["-I"] });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-type"), "application/pkcs7-mime");
    assert.doesNotMatch(head.text, /^MII/m, "HEAD carries no body");
  } finally {
    await srv.close();
  }
});

Deno.test(
  "simpleenroll: an openssl CSR yields a certificate that verifies against cacerts",
  opts,
  async () => {
    const srv = await startTestServer();
    try {
      const cacerts = await curl(`${srv.base}/cacerts`, { cacert: srv.caPath });
      const chainPath = await writeTemp(tmp, "chain.pem", await certsFromPkcs7Base64(cacerts.text));
      const { csrDer } = await makeCsr(tmp, "/CN=Administrator");
      const res = await enroll(srv, csrDer.toBase64(), { cacert: chainPath });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get("content-type"), "application/pkcs7-mime; smime-type=certs-only");
      assert.equal(res.headers.get("content-transfer-encoding"), "base64");
      const leafPath = await writeTemp(tmp, "leaf.pem", await certsFromPkcs7Base64(res.text));
      assert.match((await runOk("openssl", ["verify", "-CAfile", chainPath, leafPath])).text, /OK/);
      const subject = await runOk("openssl", ["x509", "-in", leafPath, "-noout", "-subject"]);
      assert.equal(subject.text.trim(), "subject=CN = Administrator");
      assert.equal(
        (await certsFromPkcs7Base64(res.text)).match(/BEGIN CERTIFICATE/g)?.length,
        1,
        "only the new cert",
      );
    } finally {
      await srv.close();
    }
  },
);

Deno.test("simpleenroll: every body form clients send is accepted", opts, async () => {
  const srv = await startTestServer();
  try {
    const { csrDer, csrPem } = await makeCsr(tmp, "/CN=alice");
    const b64 = csrDer.toBase64();
    const forms: [string, string | Uint8Array<ArrayBuffer>, Parameters<typeof curl>[1]][] = [
      ["single line, no newline (strongSwan)", b64, {}],
      ["64 columns LF", b64.replace(/.{64}/g, "$&\n") + "\n", {}],
      ["76 columns CRLF", b64.replace(/.{76}/g, "$&\r\n") + "\r\n", {}],
      ["PEM armour", csrPem, {}],
      ["raw DER", csrDer, {}],
      ["chunked (globalsign)", b64, { chunked: true }],
      ["with Content-Transfer-Encoding", b64, {
        headers: { ...PKCS10, "Content-Transfer-Encoding": "binary" },
      }],
      ["content type with parameters", b64, {
        headers: { "Content-Type": "Application/PKCS10; charset=us-ascii" },
      }],
    ];
    for (const [name, body, more] of forms) {
      const res = await enroll(srv, body, more);
      assert.equal(res.status, 200, `${name}: ${res.text}`);
      await verifiedLeaf(srv, res.text);
    }
  } finally {
    await srv.close();
  }
});

Deno.test("simpleenroll: the identity check passes the user's CN and refuses others", opts, async () => {
  const srv = await startTestServer();
  try {
    for (const subject of ["/CN=alice", "/CN=administrator"]) {
      const res = await enroll(srv, (await makeCsr(tmp, subject)).csrDer.toBase64());
      assert.equal(res.status, 200, `${subject}: ${res.text}`);
    }
    const withO = await enroll(srv, (await makeCsr(tmp, "/O=Example/CN=Administrator")).csrDer.toBase64());
    assert.equal(withO.status, 403, "an attribute the policy does not allow");
    const wrong = await enroll(srv, (await makeCsr(tmp, "/CN=test-new.example.com")).csrDer.toBase64());
    assert.equal(wrong.status, 403);
    assert.equal(
      wrong.text,
      "CSR subject does not match user identity. subject 'test-new.example.com' from dn 'CN=test-new.example.com'\n",
    );
    const san = await enroll(
      srv,
      (await makeCsr(tmp, "/CN=alice", { san: "DNS:evil.example" })).csrDer.toBase64(),
    );
    assert.equal(san.status, 403);
    assert.equal(san.text, "CSR SubjectAlternativeName extension does not match user.\n");
    const empty = await enroll(srv, (await makeCsr(tmp, "/O=NoName")).csrDer.toBase64());
    assert.equal(empty.status, 403, "Dogtag answers 500 here; a refusal is right");
  } finally {
    await srv.close();
  }
});

Deno.test("simpleenroll: with enrollMatchTLSSubjSAN=false any subject is issued", opts, async () => {
  const srv = await startTestServer({ authorizer: { enrollMatchTLSSubjSAN: false } });
  try {
    const res = await enroll(srv, (await makeCsr(tmp, "/CN=test-new.example.com")).csrDer.toBase64());
    assert.equal(res.status, 200, res.text);
  } finally {
    await srv.close();
  }
});

async function authzScript(name: string, body: string): Promise<string> {
  const path = join(tmp, name);
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

Deno.test(
  "simpleenroll: the external authoriser allows, refuses (403 + its message) and times out (500)",
  opts,
  async () => {
    const estauthz = new URL("../support/estauthz.py", import.meta.url).pathname;
    const seen = join(tmp, "authz-input.json");
    const recorder = await authzScript("record.sh", `cat > ${seen}; exec ${estauthz} < ${seen}`);
    const allowSrv = await startTestServer({
      authorizer: { class: "external-process", executable: recorder },
    });
    try {
      const { csrDer } = await makeCsr(tmp, "/CN=alice");
      const res = await enroll(allowSrv, csrDer.toBase64());
      assert.equal(res.status, 200, res.text);
      const input = JSON.parse(await Deno.readTextFile(seen));
      assert.equal(input.operation, "simpleenroll");
      assert.deepEqual(input.authzData.principal, { name: "alice", roles: ["estclient"] });
      assert.equal(input.authzData.remoteAddr, "127.0.0.1");
      assert.equal(input.csr, csrDer.toBase64());
    } finally {
      await allowSrv.close();
    }
    const refuseSrv = await startTestServer({
      realm: { class: "in-memory", username: "alice", password: "4me2Test", roles: "other" },
      authorizer: { class: "external-process", executable: estauthz },
    });
    try {
      const res = await enroll(refuseSrv, (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64());
      assert.equal(res.status, 403);
      assert.equal(res.text, "Principal does not have required role 'estclient'\n");
    } finally {
      await refuseSrv.close();
    }
    const slow = await authzScript("slow.sh", "exec sleep 30");
    const slowSrv = await startTestServer({
      authorizer: { class: "external-process", executable: slow, timeout: 1 },
    });
    try {
      const count = await slowSrv.issuedCount();
      const res = await enroll(slowSrv, (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64());
      assert.equal(res.status, 500);
      assert.equal(res.text, "Request validation timed out\n");
      assert.equal(await slowSrv.issuedCount(), count, "nothing issued");
    } finally {
      await slowSrv.close();
    }
  },
);

Deno.test("simpleenroll: a label applies its profile; responses can be wrapped", opts, async () => {
  const srv = await startTestServer({
    labels: { iot: { validity_days: 7, extended_key_usage: ["clientAuth"] } },
    est: { base64_line_length: 64 },
  });
  try {
    const res = await curl(`${srv.base}/iot/simpleenroll`, {
      cacert: srv.caPath,
      user: ALICE.user,
      headers: PKCS10,
      body: (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64(),
    });
    assert.equal(res.status, 200, res.text);
    assert.ok(res.text.split("\n").slice(0, -2).every((line) => line.length === 64));
    const decoded = await runOk("openssl", ["base64", "-d"], res.text);
    const leaf = await runOk("openssl", ["pkcs7", "-inform", "DER", "-print_certs"], decoded.stdout);
    const text = await runOk("openssl", ["x509", "-noout", "-text", "-enddate"], leaf.text);
    assert.match(text.text, /Extended Key Usage: \s*TLS Web Client Authentication\n/);
    const notAfter = new Date(text.text.match(/notAfter=(.*)/)![1]);
    const days = (notAfter.getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 6.9 && days <= 7, String(days));
    const labelled = await curl(`${srv.base}/iot/cacerts`, { cacert: srv.caPath });
    assert.equal(labelled.status, 200);
  } finally {
    await srv.close();
  }
});
