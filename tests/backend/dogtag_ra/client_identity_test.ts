import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { CaClient } from "../../../src/backend/dogtag_ra/ca_client.ts";
import { loadClientIdentity } from "../../../src/backend/dogtag_ra/client_identity.ts";
import { readPkcs12 } from "../../../src/backend/dogtag_ra/pkcs12.ts";
import { ConfigError } from "../../../src/config/errors.ts";
import { FakeDogtagCa } from "../../support/fake_dogtag_ca.ts";
import { runOk } from "../../support/tools.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A fake CA, an agent certificate from it, and the same identity as PKCS#12 files made by openssl. */
async function fixtures() {
  const ca = await FakeDogtagCa.start();
  const agent = await ca.writeIdentity("ra-agent", "CN=EST-est.example.com-8443", { agent: true });
  const other = await ca.writeIdentity("other", "CN=other");
  const dir = ca.dir;
  const passPath = join(dir, "ra.p12.pass");
  await Deno.writeTextFile(passPath, "p12 s3cret\n");
  const p12 = join(dir, "ra.p12");
  const pkcs12 = (out: string, ...more: string[]) =>
    runOk("openssl", [
      "pkcs12",
      "-export",
      "-in",
      agent.certPath,
      "-inkey",
      agent.keyPath,
      "-passout",
      "pass:p12 s3cret",
      "-out",
      out,
      ...more,
    ]);
  await pkcs12(p12, "-certfile", ca.caBundlePath, "-name", "subsystem");
  const legacy = join(dir, "legacy.p12");
  await pkcs12(legacy, "-legacy");
  const certOnly = join(dir, "cert-only.p12");
  await runOk("openssl", [
    "pkcs12",
    "-export",
    "-nokeys",
    "-in",
    agent.certPath,
    "-passout",
    "pass:p12 s3cret",
    "-out",
    certOnly,
  ]);
  return { ca, agent, other, passPath, p12, legacy, certOnly };
}

Deno.test(
  "client identity: PKCS#12 from openssl reads (key, leaf first, chain) and authenticates to the CA",
  opts,
  async () => {
    const f = await fixtures();
    try {
      const contents = await readPkcs12(await Deno.readFile(f.p12), "p12 s3cret");
      assert.equal(contents.certificates.length, 2);
      const identity = await loadClientIdentity({
        clientPKCS12File: f.p12,
        clientPKCS12PasswordFile: f.passPath,
      });
      assert.ok(identity !== undefined);
      assert.equal(identity.certPem.match(/BEGIN CERTIFICATE/g)?.length, 2);
      assert.equal(
        identity.certPem.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n",
        await Deno.readTextFile(f.agent.certPath),
      );
      assert.match(identity.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);

      const client = new CaClient({
        baseUrl: f.ca.url,
        timeoutMs: 1000,
        caBundlePem: await Deno.readTextFile(f.ca.caBundlePath),
        identity,
      });
      try {
        const login = await client.exchange({ call: "login", method: "GET", path: "/ca/v2/account/login" });
        assert.equal(login.status, 200, "the agent certificate logs in without a password");
        assert.deepEqual(f.ca.requests[0].clientCert, f.agent.der);
      } finally {
        client.close();
      }
      const pem = await loadClientIdentity({
        clientCertFile: f.agent.certPath,
        clientKeyFile: f.agent.keyPath,
      });
      assert.equal(pem?.keyPem, identity.keyPem);
      assert.equal(await loadClientIdentity({}), undefined);
    } finally {
      await f.ca.close();
    }
  },
);

Deno.test("client identity: each unusable file is a ConfigError naming it", opts, async () => {
  const f = await fixtures();
  const wrongPass = join(f.ca.dir, "wrong.pass");
  await Deno.writeTextFile(wrongPass, "nope");
  const garbage = join(f.ca.dir, "garbage");
  await Deno.writeTextFile(garbage, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  try {
    const cases: [Parameters<typeof loadClientIdentity>[0], string, RegExp][] = [
      [
        { clientPKCS12File: f.p12, clientPKCS12PasswordFile: wrongPass },
        f.p12,
        /^wrong password or damaged file/,
      ],
      [
        { clientPKCS12File: f.legacy, clientPKCS12PasswordFile: f.passPath },
        f.legacy,
        /^cannot decrypt the PKCS#12 contents/,
      ],
      [
        { clientPKCS12File: f.certOnly, clientPKCS12PasswordFile: f.passPath },
        f.certOnly,
        /^the PKCS#12 file holds no private key$/,
      ],
      [
        { clientPKCS12File: f.agent.certPath, clientPKCS12PasswordFile: f.passPath },
        f.agent.certPath,
        /^not a PKCS#12 file$/,
      ],
      [
        { clientPKCS12File: f.p12, clientPKCS12PasswordFile: "/nonexistent" },
        "/nonexistent",
        /^cannot read: /,
      ],
      [
        { clientCertFile: f.other.certPath, clientKeyFile: f.agent.keyPath },
        f.agent.keyPath,
        /does not belong/,
      ],
      [
        { clientCertFile: f.agent.keyPath, clientKeyFile: f.agent.keyPath },
        f.agent.keyPath,
        /^no PEM certificate found$/,
      ],
      [{ clientCertFile: garbage, clientKeyFile: f.agent.keyPath }, garbage, /^unreadable certificate: /],
      [
        { clientCertFile: f.agent.certPath, clientKeyFile: f.agent.certPath },
        f.agent.certPath,
        /^unreadable private key: /,
      ],
    ];
    for (const [files, file, message] of cases) {
      await assert.rejects(
        loadClientIdentity(files),
        (err) =>
          err instanceof ConfigError && err.issues[0].file === file && message.test(err.issues[0].message),
        `${file} ${message}`,
      );
    }
  } finally {
    await f.ca.close();
  }
});
