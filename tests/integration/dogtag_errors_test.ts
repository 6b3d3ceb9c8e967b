import assert from "node:assert/strict";
import { curl, type CurlOptions } from "../support/curl.ts";
import { startDogtagEst, startDogtagPair } from "../support/dogtag.ts";
import { makeCsr, writeTemp } from "../support/pki.ts";
import { ALICE, certsFromPkcs7Base64, startTestServer, type TestServer } from "../support/server.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

/** How the CA's answers come out of this server (compat = "dogtag": Dogtag's JSON, byte for byte). */

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-dogtag-errors-" });
const { csrDer } = await makeCsr(tmp, "/CN=Administrator");

function enroll(srv: TestServer, path = "/simpleenroll", more: CurlOptions = {}) {
  return curl(`${srv.base}${path}`, {
    cacert: srv.caPath,
    user: ALICE.user,
    headers: { "Content-Type": "application/pkcs10" },
    body: csrDer.toBase64(),
    ...more,
  });
}

function dogtagJson(className: string, code: number, message: string): string {
  return `{
  "Attributes" : {
    "Attribute" : [ ]
  },
  "ClassName" : "com.netscape.certsrv.base.${className}",
  "Code" : ${code},
  "Message" : ${JSON.stringify(message)}
}`;
}

const AUTH_FAILED =
  "EST backend failed to authenticate to the CA subsystem, or is not authorized to issue the certificate";

Deno.test("dogtag errors: each CA outcome maps to Dogtag's status and JSON body", opts, async () => {
  const { ca, srv, close } = await startDogtagPair({}, {}, { est: { compat: "dogtag" } });
  let other: TestServer | undefined;
  try {
    const cases: [string, () => void, number, string][] = [
      [
        "rejected by the CA",
        () => ca.inject("POST", /certrequests$/, { outcome: "rejected", message: "Key length not allowed" }),
        400,
        dogtagJson("BadRequestException", 400, "Certificate request rejected: Key length not allowed"),
      ],
      [
        "an error on the CA's side",
        () => ca.inject("POST", /certrequests$/, { outcome: "error", message: "Server Internal Error" }),
        500,
        dogtagJson("PKIException", 500, "Unable to generate certificate: Server Internal Error"),
      ],
      [
        "the CA refuses the RA (403)",
        () =>
          ca.inject("GET", /profiles/, {
            status: 403,
            json: {
              ClassName: "com.netscape.certsrv.base.ForbiddenException",
              Message: "Authorization Error",
            },
          }),
        500,
        dogtagJson("PKIException", 500, AUTH_FAILED),
      ],
      [
        "a PKIException keeps the CA's code and message",
        () =>
          ca.inject("POST", /certrequests$/, {
            status: 500,
            json: { ClassName: "com.netscape.certsrv.base.PKIException", Message: "Internal database error" },
          }),
        500,
        dogtagJson("PKIException", 500, "Internal database error"),
      ],
      [
        "a conflict keeps the CA's exception class",
        () =>
          ca.inject("POST", /certrequests$/, {
            status: 409,
            json: { ClassName: "com.netscape.certsrv.base.ConflictingOperationException", Message: "Busy" },
          }),
        409,
        dogtagJson("ConflictingOperationException", 409, "Busy"),
      ],
      [
        "an answer that is not JSON",
        () => ca.inject("GET", /profiles/, { status: 200, text: "<html/>", contentType: "text/html" }),
        500,
        dogtagJson("PKIException", 500, "Unexpected answer from the CA to profile: text/html, not JSON"),
      ],
      [
        "a proxy in front of the CA says 502",
        () => ca.inject("POST", /certrequests$/, { status: 502 }),
        503,
        dogtagJson("PKIException", 503, "The CA is unavailable"),
      ],
    ];
    for (const [name, arrange, status, body] of cases) {
      arrange();
      const res = await enroll(srv);
      assert.equal(res.status, status, `${name}: ${res.text}`);
      assert.equal(res.headers.get("content-type"), "application/json", name);
      assert.equal(res.text, body, name);
    }
    ca.options.approval = "agent";
    const pending = await enroll(srv);
    assert.equal(pending.status, 200, `pending requests are approved by the RA: ${pending.text}`);
    assert.equal(ca.callsTo("POST", /\/approve$/).length, 1);

    other = await startDogtagEst(ca, { password: "wrong" }, { est: { compat: "dogtag" } });
    const wrong = await enroll(other);
    assert.equal(wrong.status, 500);
    assert.equal(wrong.text, dogtagJson("PKIException", 500, AUTH_FAILED));
    await other.close();
    other = await startDogtagEst(ca, { username: "clerk", password: "clerk-pw" });
    const clerk = await enroll(other);
    assert.equal(clerk.status, 500, "a CA user who is no agent");
    assert.equal(clerk.text, `${AUTH_FAILED}\n`);
    assert.equal(clerk.headers.get("content-type"), "text/plain; charset=utf-8");
    await other.close();
    other = await startDogtagEst(ca, { profile: "caServerCert" }, { est: { compat: "dogtag" } });
    const noProfile = await enroll(other);
    assert.equal(noProfile.status, 404);
    assert.equal(
      noProfile.text,
      dogtagJson("ResourceNotFoundException", 404, "Profile caServerCert not found"),
    );
  } finally {
    await other?.close();
    await close();
  }
});

Deno.test("dogtag: a declared label's CA profile is the one the CA is asked for", opts, async () => {
  const authority = "5f6a7b8c-1d2e-4f30-8a9b-0c1d2e3f4a5b";
  const { ca, srv, close } = await startDogtagPair({}, {}, {
    est: { compat: "dogtag" },
    labels: { [authority]: { profile: "caIoTCert" } },
  });
  try {
    const res = await enroll(srv, `/${authority}/simpleenroll`);
    assert.equal(res.status, 404);
    assert.equal(JSON.parse(res.text).Message, "Profile caIoTCert not found");
    assert.equal(ca.callsTo("GET", /profiles/).at(-1)!.path, "/ca/v2/certrequests/profiles/caIoTCert");
    assert.equal(
      (await enroll(srv, "/simpleenroll")).status,
      200,
      "unlabelled requests keep backend.conf's profile",
    );
    assert.equal(ca.callsTo("GET", /profiles/).at(-1)!.path, "/ca/v2/certrequests/profiles/estServiceCert");
  } finally {
    await close();
  }
});

Deno.test(
  "dogtag errors: labels are AuthorityIDs, passed to the CA; the local CA still refuses them",
  opts,
  async () => {
    const { ca, srv, close } = await startDogtagPair({}, {}, { est: { compat: "dogtag" } });
    try {
      const sub = await ca.pki.addAuthority("O=EXAMPLE, OU=pki-tomcat, CN=Lightweight Sub CA");
      const chain = await curl(`${srv.base}/${sub.id}/cacerts`, { cacert: srv.caPath });
      assert.equal(chain.status, 200);
      const certs = await certsFromPkcs7Base64(chain.text);
      assert.equal(certs.match(/BEGIN CERTIFICATE/g)?.length, 2);
      assert.match(certs, /subject=O = EXAMPLE, OU = pki-tomcat, CN = Lightweight Sub CA/);

      const issued = await enroll(srv, `/${sub.id}/simpleenroll`);
      assert.equal(issued.status, 200, issued.text);
      assert.equal(
        ca.callsTo("POST", /certrequests/).at(-1)!.path,
        `/ca/v2/certrequests?issuer-id=${sub.id}`,
      );
      const leaf = await writeTemp(tmp, "sub-leaf.pem", await certsFromPkcs7Base64(issued.text));
      const subChain = await writeTemp(tmp, "sub-chain.pem", certs);
      assert.match((await runOk("openssl", ["verify", "-CAfile", subChain, leaf])).text, /: OK/);

      const bad = await enroll(srv, "/iot/simpleenroll");
      assert.equal(bad.status, 400);
      assert.equal(bad.text, dogtagJson("BadRequestException", 400, "Bad AuthorityID: iot"));
      const unknown = crypto.randomUUID();
      const unknownEnroll = await enroll(srv, `/${unknown}/simpleenroll`);
      assert.equal(unknownEnroll.status, 404);
      assert.equal(
        unknownEnroll.text,
        dogtagJson("ResourceNotFoundException", 404, `CA not found: ${unknown}`),
      );
      const unknownChain = await curl(`${srv.base}/${unknown}/cacerts`, { cacert: srv.caPath });
      assert.equal(unknownChain.status, 404);
      assert.equal(
        unknownChain.text,
        dogtagJson("ResourceNotFoundException", 404, `CA not found: ${unknown}`),
      );
      const notUuid = await curl(`${srv.base}/iot/cacerts`, { cacert: srv.caPath });
      assert.equal(notUuid.status, 400, "cacerts passes the label to the CA, which refuses it");
      assert.equal(JSON.parse(notUuid.text).Message, "Bad AuthorityID: iot");
      const attrs = await curl(`${srv.base}/${sub.id}/csrattrs`, { cacert: srv.caPath });
      assert.equal(attrs.status, 204);
      for (const path of ["/fullcmc/cacerts", "/a%2Fb/cacerts", `/${"x".repeat(65)}/cacerts`]) {
        const res = await curl(`${srv.base}${path}`, { cacert: srv.caPath, extra: ["--path-as-is"] });
        assert.equal(res.status, 404, path);
      }
    } finally {
      await close();
    }
    const local = await startTestServer();
    try {
      const res = await curl(`${local.base}/${crypto.randomUUID()}/cacerts`, { cacert: local.caPath });
      assert.equal(res.status, 404, "the local CA serves declared labels only");
    } finally {
      await local.close();
    }
  },
);
