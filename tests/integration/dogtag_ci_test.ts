import assert from "node:assert/strict";
import { curl, type CurlOptions } from "../support/curl.ts";
import { startDogtagEst, startDogtagPair } from "../support/dogtag.ts";
import { FakeDogtagCa } from "../support/fake_dogtag_ca.ts";
import { makeCsr, makeSelfSigned, renewalCsr, writeTemp } from "../support/pki.ts";
import { ALICE, certsFromPkcs7Base64, type TestServer } from "../support/server.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

/**
 * Dogtag's EST CI against this server with the DogtagRABackend in front of a
 * fake Dogtag CA: the basic test (in-memory realm, Basic towards the CA) and
 * the steps of the DS-realm table that need no directory or database.
 */

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-dogtag-ci-" });

async function enroll(srv: TestServer, subject: string, more: CurlOptions = {}) {
  const { csrDer } = await makeCsr(tmp, subject);
  return await curl(`${srv.base}/simpleenroll`, {
    cacert: srv.caPath,
    user: ALICE.user,
    headers: { "Content-Type": "application/pkcs10" },
    body: csrDer.toBase64(),
    ...more,
  });
}

/** `openssl x509 -subject -noout` of the one certificate in an enroll response, after verifying it. */
async function issuedSubject(srv: TestServer, body: string): Promise<string> {
  const leaf = await writeTemp(tmp, `${crypto.randomUUID()}.pem`, await certsFromPkcs7Base64(body));
  assert.match((await runOk("openssl", ["verify", "-CAfile", srv.caPath, leaf])).text, /: OK/);
  return (await runOk("openssl", ["x509", "-in", leaf, "-noout", "-subject"])).text.trim();
}

Deno.test("dogtag CI basic: cacerts is the CA chain; alice enrolls CN=Administrator", opts, async () => {
  const { ca, srv, close } = await startDogtagPair();
  try {
    const cacerts = await curl(`${srv.base}/cacerts`, { extra: ["-k"] });
    assert.equal(cacerts.status, 200);
    assert.equal(cacerts.headers.get("content-type"), "application/pkcs7-mime");
    const chain = await certsFromPkcs7Base64(cacerts.text);
    assert.match(chain, /^subject=O = EXAMPLE, OU = pki-tomcat, CN = CA Signing Certificate$/m);
    const expected = await runOk("openssl", ["x509", "-in", ca.caBundlePath]);
    assert.equal(
      chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/)?.[0],
      expected.text,
    );

    const res = await enroll(srv, "/CN=Administrator", {
      headers: { "Content-Type": "application/pkcs10", "X-Request-ID": "ci-basic-1" },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get("content-type"), "application/pkcs7-mime; smime-type=certs-only");
    assert.equal(await issuedSubject(srv, res.text), "subject=CN = Administrator");

    const calls = ca.requests.filter((r) => r.headers["x-request-id"] === "ci-basic-1");
    assert.deepEqual(calls.map((r) => `${r.method} ${r.path}`.replace(/0x[0-9a-f]+$/, "{id}")), [
      "GET /ca/v2/account/login",
      "GET /ca/v2/account/login",
      "GET /ca/v2/certrequests/profiles/estServiceCert",
      "POST /ca/v2/certrequests",
      "GET /ca/v2/certs/{id}",
    ]);
    assert.equal(calls[0].headers["authorization"], undefined, "challenged first, as Dogtag's client is");
    assert.match(String(calls[1].headers["authorization"]), /^Basic /);
    const inputs = ca.submissions.at(-1)!.inputs;
    assert.equal(inputs.cert_request_type, "pkcs10");
    assert.equal(inputs.ra_client_uid, "alice");
    assert.equal(inputs.ra_client_name, "Administrator");
    assert.equal(inputs.ra_client_certificate, undefined);
  } finally {
    await close();
  }
});

/** The table of Dogtag's DS-realm CI, steps b, c, i/j, l, m and g/n in their simpleenroll form. */
Deno.test(
  "dogtag CI table: identity check, CA subject rule, agent certificate, relaxed profile",
  opts,
  async () => {
    const { ca, srv, close } = await startDogtagPair({}, {}, { est: { compat: "dogtag" } });
    let relaxed: TestServer | undefined;
    try {
      // b: the user's own name is issued.
      const b = await enroll(srv, "/CN=Administrator");
      assert.equal(b.status, 200, b.text);

      // c (and g/n's exact JSON): another name is refused by this server before the CA is asked.
      const submissions = ca.submissions.length;
      const c = await enroll(srv, "/CN=test-new.example.com");
      assert.equal(c.status, 403);
      assert.equal(c.headers.get("content-type"), "application/json");
      assert.equal(
        c.text,
        `{
  "Attributes" : {
    "Attribute" : [ ]
  },
  "ClassName" : "com.netscape.certsrv.base.ForbiddenException",
  "Code" : 403,
  "Message" : "CSR subject does not match user identity. subject 'test-new.example.com' from dn 'CN=test-new.example.com'"
}`,
      );
      assert.equal(ca.submissions.length, submissions, "the CA was not asked");

      // i, j: enrollMatchTLSSubjSAN=false; the CA's policy 20 refuses the name (400).
      relaxed = await startDogtagEst(ca, {}, {
        est: { compat: "dogtag" },
        authorizer: { enrollMatchTLSSubjSAN: false },
      });
      const j = await enroll(relaxed, "/CN=test-new.example.com");
      assert.equal(j.status, 400);
      assert.equal(JSON.parse(j.text).Message, "Certificate request rejected: Subject Name Not Matched");
      assert.equal(JSON.parse(j.text).ClassName, "com.netscape.certsrv.base.BadRequestException");

      // l: an EST client whose TLS certificate belongs to a CA agent may request any name.
      const agent = await ca.writeIdentity("estagent", "CN=estagent", { agent: true });
      const l = await enroll(relaxed, "/CN=test-new.example.com", {
        cert: agent.certPath,
        key: agent.keyPath,
      });
      assert.equal(l.status, 200, l.text);
      assert.equal(await issuedSubject(relaxed, l.text), "subject=CN = test-new.example.com");
      assert.equal(ca.submissions.at(-1)!.inputs.ra_client_certificate, agent.der.toBase64());

      // A TLS certificate carrying the requested name passes policy 20 as well...
      const own = await ca.writeIdentity("own", "CN=test-new.example.com");
      const ownRes = await enroll(relaxed, "/CN=test-new.example.com", {
        cert: own.certPath,
        key: own.keyPath,
      });
      assert.equal(ownRes.status, 200, ownRes.text);
      // ...but only when it verified: a self-signed one is refused here (a presented certificate is the only
      // credential looked at, as in Dogtag) and never reaches the CA.
      const stranger = await makeSelfSigned(tmp, "/CN=test-new.example.com", [
        "basicConstraints=critical,CA:false",
      ]);
      const submitted = ca.submissions.length;
      const forged = await enroll(relaxed, "/CN=test-new.example.com", {
        cert: stranger.certPath,
        key: stranger.keyPath,
      });
      assert.equal(forged.status, 401, forged.text);
      assert.equal(ca.submissions.length, submitted);

      // m: the profile's list switched from 20 to 21: any CN passes.
      ca.options.subjectRule = "anyCn";
      const m = await enroll(relaxed, "/CN=test-new.example.com");
      assert.equal(m.status, 200, m.text);
    } finally {
      await relaxed?.close();
      await close();
    }
  },
);

Deno.test("dogtag CI: the RA may authenticate with its certificate instead of a password", opts, async () => {
  const ca = await FakeDogtagCa.start();
  const ra = await ca.writeIdentity("subsystem", "CN=Subsystem Certificate,OU=pki-tomcat,O=EXAMPLE", {
    agent: true,
  });
  const srv = await startDogtagEst(ca, {
    username: null,
    password: null,
    clientCertFile: ra.certPath,
    clientKeyFile: ra.keyPath,
  });
  try {
    const res = await enroll(srv, "/CN=Administrator");
    assert.equal(res.status, 200, res.text);
    const login = ca.callsTo("GET", /login$/).at(-1)!;
    assert.equal(login.headers.authorization, undefined);
    assert.deepEqual(login.clientCert, ra.der);
  } finally {
    await srv.close();
    await ca.close();
  }
});

Deno.test(
  "dogtag CI table e-g: certificate enrollment and renewal with the CA's certificate",
  opts,
  async () => {
    const { ca, srv, close } = await startDogtagPair({}, {}, { est: { compat: "dogtag" } });
    try {
      const { csrDer, keyPath } = await makeCsr(tmp, "/CN=Administrator");
      const b = await curl(`${srv.base}/simpleenroll`, {
        cacert: srv.caPath,
        user: ALICE.user,
        headers: { "Content-Type": "application/pkcs10" },
        body: csrDer.toBase64(),
      });
      assert.equal(b.status, 200, b.text);
      const certPath = await writeTemp(tmp, "administrator.pem", await certsFromPkcs7Base64(b.text));
      const holder = { cert: certPath, key: keyPath, user: undefined };

      // e: the certificate the CA issued authenticates the next enrollment of the same name.
      const e = await enroll(srv, "/CN=Administrator", holder);
      assert.equal(e.status, 200, e.text);
      assert.equal(
        ca.submissions.at(-1)!.inputs.ra_client_certificate,
        (await runOk("openssl", ["x509", "-in", certPath, "-outform", "DER"])).stdout.toBase64(),
      );

      // f: re-enrollment with it (a new key; the subject copied from the certificate, as estclient -r does).
      const f = await curl(`${srv.base}/simplereenroll`, {
        cacert: srv.caPath,
        ...holder,
        headers: { "Content-Type": "application/pkcs10" },
        body: (await renewalCsr(tmp, certPath)).csrDer.toBase64(),
      });
      assert.equal(f.status, 200, f.text);
      assert.equal(await issuedSubject(srv, f.text), "subject=CN = Administrator");

      // g, n: a renewal CSR with another subject gets Dogtag's exact 403 body, and the CA is not asked.
      const submissions = ca.submissions.length;
      const g = await curl(`${srv.base}/simplereenroll`, {
        cacert: srv.caPath,
        ...holder,
        headers: { "Content-Type": "application/pkcs10" },
        body: (await makeCsr(tmp, "/CN=test2.example.com")).csrDer.toBase64(),
      });
      assert.equal(g.status, 403);
      assert.equal(
        g.text,
        `{
  "Attributes" : {
    "Attribute" : [ ]
  },
  "ClassName" : "com.netscape.certsrv.base.ForbiddenException",
  "Code" : 403,
  "Message" : "CSR subject does not match user certificate."
}`,
      );
      assert.equal(ca.submissions.length, submissions);
    } finally {
      await close();
    }
  },
);
