import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeCertsOnly } from "../../src/pki/pkcs7_decode.ts";
import { makeCmcRequest, readCmcStatus } from "../support/cmc.ts";
import { curl, type CurlOptions } from "../support/curl.ts";
import { ciBackendConf, propertiesText, startDogtagEst } from "../support/dogtag.ts";
import { FakeDogtagCa } from "../support/fake_dogtag_ca.ts";
import { makeCsr } from "../support/pki.ts";
import { ALICE, startTestServer, type TestServer } from "../support/server.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

/** /fullcmc forwarded to the CA's full CMC servlet, as Dogtag's EST does (but RFC 8951 bodies accepted). */

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-fullcmc-" });
const CMC = { "Content-Type": "application/pkcs7-mime; smime-type=CMC-request" };

interface Setup {
  ca: FakeDogtagCa;
  srv: TestServer;
  device: { certPath: string; keyPath: string; der: Uint8Array<ArrayBuffer> };
  /** A CMC request for `cn`, signed by the device. */
  request(cn: string): Promise<Uint8Array<ArrayBuffer>>;
  post(body: string | Uint8Array<ArrayBuffer>, more?: CurlOptions): ReturnType<typeof curl>;
  close(): Promise<void>;
}

async function setup(config: Parameters<typeof startDogtagEst>[2] = {}): Promise<Setup> {
  const ca = await FakeDogtagCa.start();
  const ra = await ca.writeIdentity("subsystem", "CN=Subsystem Certificate", { agent: true });
  const device = await ca.writeIdentity("device", "CN=device1.example.com");
  const srv = await startDogtagEst(ca, { clientCertFile: ra.certPath, clientKeyFile: ra.keyPath }, config);
  return {
    ca,
    srv,
    device,
    async request(cn) {
      const { csrDer } = await makeCsr(tmp, `/CN=${cn}`);
      return await makeCmcRequest(tmp, csrDer, device);
    },
    post: (body, more = {}) =>
      curl(`${srv.base}/fullcmc`, {
        cacert: srv.caPath,
        user: ALICE.user,
        cert: device.certPath,
        key: device.keyPath,
        headers: CMC,
        body,
        ...more,
      }),
    async close() {
      await srv.close();
      await ca.close();
    },
  };
}

Deno.test(
  "fullcmc: a DER or base64 request is forwarded verbatim and the CA's answer comes back base64",
  opts,
  async () => {
    const s = await setup();
    try {
      const request = await s.request("device1.example.com");
      const res = await s.post(request, { headers: { ...CMC, "X-Request-ID": "cmc-1" } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get("content-type"), "application/pkcs7-mime; smime-type=CMC-response");
      assert.equal(res.headers.get("content-transfer-encoding"), "base64");
      const [issued] = decodeCertsOnly(Uint8Array.fromBase64(res.text.trim()));
      const leaf = join(tmp, "cmc-leaf.pem");
      await Deno.writeTextFile(
        leaf,
        `-----BEGIN CERTIFICATE-----\n${issued.toBase64()}\n-----END CERTIFICATE-----\n`,
      );
      assert.match((await runOk("openssl", ["verify", "-CAfile", s.srv.caPath, leaf])).text, /: OK/);
      assert.equal(
        (await runOk("openssl", ["x509", "-in", leaf, "-noout", "-subject"])).text.trim(),
        "subject=CN = device1.example.com",
      );
      const forwarded = s.ca.callsTo("POST", /profileSubmitCMCFull/).at(-1)!;
      assert.equal(forwarded.path, "/ca/ee/ca/profileSubmitCMCFull?profileId=estFullcmcDeviceCert");
      assert.deepEqual(forwarded.body, request);
      assert.equal(forwarded.headers["pki-est-request"], "true");
      assert.equal(forwarded.headers["pki-est-client-cert"], s.device.der.toBase64());
      assert.equal(forwarded.headers["x-request-id"], "cmc-1");

      for (const body of [request.toBase64(), request.toBase64().replace(/.{76}/g, "$&\r\n") + "\r\n"]) {
        const b64 = await s.post(body);
        assert.equal(b64.status, 200, b64.text);
        assert.deepEqual(s.ca.callsTo("POST", /profileSubmitCMCFull/).at(-1)!.body, request, "DER to the CA");
      }
    } finally {
      await s.close();
    }
  },
);

Deno.test("fullcmc: the CA's CMC status sets the HTTP status", opts, async () => {
  const s = await setup({ est: { compat: "dogtag" } });
  try {
    const mismatch = await s.post(await s.request("someone-else.example.com"));
    assert.equal(mismatch.status, 400, "failed (2): the CA refused the name");
    assert.deepEqual(readCmcStatus(Uint8Array.fromBase64(mismatch.text.trim())), {
      status: 2,
      statusString: "Request Subject Name Not Matched",
    });
    const request = await s.request("device1.example.com");
    const statuses: [string, number][] = [
      ["0", 200],
      ["2", 400],
      ["3", 501],
      ["4", 501],
      ["5", 501],
      ["6", 501],
      [
        "7",
        501,
      ],
      ["1", 500],
      ["9", 500],
    ];
    for (const [cmcStatus, http] of statuses) {
      s.ca.inject("POST", /profileSubmitCMCFull/, { cmcStatus });
      const res = await s.post(request);
      assert.equal(res.status, http, `pki-cmc-status ${cmcStatus}`);
      assert.equal(res.headers.get("content-type"), "application/pkcs7-mime; smime-type=CMC-response");
      assert.equal(readCmcStatus(Uint8Array.fromBase64(res.text.trim())).status, Number(cmcStatus));
    }
    const errors: [Parameters<FakeDogtagCa["inject"]>[2], number, string][] = [
      [{ cmcStatus: null }, 1, "CMC status not available from backend - this is a bug"],
      [{ status: 500 }, 1, "CMC request failed with status: 500"],
      // Twice: a 401 to a request sent without credentials is answered once with them.
      [{ status: 401 }, 2, "CMC request failed with status: 401"],
    ];
    for (const [fault, times, message] of errors) {
      s.ca.inject("POST", /profileSubmitCMCFull/, fault, times);
      const res = await s.post(request);
      assert.equal(res.status, 500);
      assert.equal(JSON.parse(res.text).Message, message);
      assert.equal(JSON.parse(res.text).ClassName, "com.netscape.certsrv.base.PKIException");
    }
  } finally {
    await s.close();
  }
});

Deno.test("fullcmc: hostile requests are refused before the CA sees them", opts, async () => {
  const s = await setup({ server: { max_body_bytes: 2048 }, est: { compat: "dogtag" } });
  try {
    const request = await s.request("device1.example.com");
    const cases: [string, CurlOptions, number, string][] = [
      ["no content type", { headers: { "Content-Type": "" } }, 415, "Content-Type header is required"],
      [
        "no smime-type",
        { headers: { "Content-Type": "application/pkcs7-mime" } },
        415,
        'Unsupported Content-Type "application/pkcs7-mime"; expected application/pkcs7-mime; smime-type=CMC-request',
      ],
      [
        "a CSR's type",
        { headers: { "Content-Type": "application/pkcs10" } },
        415,
        'Unsupported Content-Type "application/pkcs10"; expected application/pkcs7-mime; smime-type=CMC-request',
      ],
      ["oversized", { body: "A".repeat(4096) }, 413, "Request body exceeds the limit of 2048 bytes"],
      [
        "oversized, chunked",
        { body: "A".repeat(4096), chunked: true },
        413,
        "Request body exceeds the limit of 2048 bytes",
      ],
      ["bad base64", { body: "MIIB$$$not-base64" }, 400, "Invalid base64 encoding"],
      ["empty", { body: "" }, 400, "Empty request body"],
      ["base64 of something else", { body: "MAMCAQE=" }, 400, "Invalid CMC request: not a CMS ContentInfo"],
      [
        "truncated DER",
        { body: request.slice(0, 100) },
        400,
        "Invalid CMC request: malformed or truncated DER",
      ],
      [
        "no credentials",
        { user: undefined, cert: undefined, key: undefined },
        401,
        "Authentication required",
      ],
    ];
    for (const [name, more, status, message] of cases) {
      const res = await s.post(request, more);
      assert.equal(res.status, status, `${name}: ${res.text}`);
      assert.equal(JSON.parse(res.text).Message, message, name);
    }
    assert.equal(s.ca.callsTo("POST", /profileSubmitCMCFull/).length, 0);
    const get = await curl(`${s.srv.base}/fullcmc`, { cacert: s.srv.caPath });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
  } finally {
    await s.close();
  }
});

Deno.test("fullcmc: the authoriser is asked with operation fullcmc and the request", opts, async () => {
  const seen = join(tmp, "authz.json");
  const script = join(tmp, "authz.sh");
  await Deno.writeTextFile(
    script,
    `#!/bin/sh\ncat > ${seen}\ngrep -q '"operation":"fullcmc"' ${seen} || { echo no; exit 1; }\necho "Not for devices"\nexit 1\n`,
  );
  await Deno.chmod(script, 0o755);
  const s = await setup({ authorizer: { class: "external-process", executable: script } });
  try {
    const request = await s.request("device1.example.com");
    const res = await s.post(request.toBase64());
    assert.equal(res.status, 403);
    assert.equal(res.text, "Not for devices\n");
    const input = JSON.parse(await Deno.readTextFile(seen));
    assert.equal(input.operation, "fullcmc");
    assert.equal(input.cmcRequest, request.toBase64());
    // The device's certificate authenticated the request (as in Dogtag: a certificate excludes Basic).
    assert.deepEqual(input.authzData.principal, { name: "CN=device1.example.com", roles: [] });
    assert.equal(input.authzData.clientCertChain[0], s.device.der.toBase64());
    assert.equal(input.csr, undefined);
    assert.equal(s.ca.callsTo("POST", /profileSubmitCMCFull/).length, 0);
  } finally {
    await s.close();
  }
});

Deno.test("fullcmc: without fullcmc.profile 500; the local CA answers 501", opts, async () => {
  const ca = await FakeDogtagCa.start();
  const conf = ciBackendConf(ca);
  delete (conf as Record<string, string | undefined>)["fullcmc.profile"];
  const tls = await ca.writeIdentity("est", "CN=est", { ips: ["127.0.0.1"] });
  const srv = await startTestServer({
    server: { tls_cert: tls.certPath, tls_key: tls.keyPath },
    est: { compat: "dogtag" },
    files: { "backend.conf": propertiesText(conf) },
  });
  const local = await startTestServer();
  try {
    const device = await ca.writeIdentity("device", "CN=device");
    const request = await makeCmcRequest(tmp, (await makeCsr(tmp, "/CN=device")).csrDer, device);
    const noProfile = await curl(`${srv.base}/fullcmc`, {
      cacert: srv.caPath,
      user: ALICE.user,
      headers: CMC,
      body: request,
    });
    assert.equal(noProfile.status, 500);
    assert.equal(
      noProfile.text,
      `{
  "Attributes" : {
    "Attribute" : [ ]
  },
  "ClassName" : "com.netscape.certsrv.base.PKIException",
  "Code" : 500,
  "Message" : "No /fullcmc profile configured (set fullcmc.profile in backend.conf)"
}`,
    );
    const notHere = await curl(`${local.base}/fullcmc`, {
      cacert: local.caPath,
      user: ALICE.user,
      headers: CMC,
      body: request,
    });
    assert.equal(notHere.status, 501);
    assert.equal(notHere.text, "Full CMC (/fullcmc) is not offered by this server's CA backend\n");
    const anonymous = await curl(`${local.base}/fullcmc`, {
      cacert: local.caPath,
      headers: CMC,
      body: request,
    });
    assert.equal(anonymous.status, 401);
  } finally {
    await local.close();
    await srv.close();
    await ca.close();
  }
});
