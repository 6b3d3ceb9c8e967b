import "reflect-metadata";
import assert from "node:assert/strict";
import { DogtagRaBackend, type DogtagRaOptions } from "../../../src/backend/dogtag_ra/dogtag_ra_backend.ts";
import type { DogtagRaConfig } from "../../../src/config/components.ts";
import { loadClientIdentity } from "../../../src/backend/dogtag_ra/client_identity.ts";
import { parseCsr } from "../../../src/pki/csr.ts";
import { BadRequestError, InternalError, UnavailableError } from "../../../src/errors.ts";
import { FakeDogtagCa } from "../../support/fake_dogtag_ca.ts";
import { makeCsr } from "../../support/pki.ts";
import { tempDir } from "../../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

function configFor(ca: FakeDogtagCa, extra: Partial<DogtagRaConfig> = {}): DogtagRaConfig {
  return {
    kind: "dogtag-ra",
    url: ca.url,
    profile: "estServiceCert",
    username: "est-ra-1",
    password: "est4ever",
    caBundle: ca.caBundlePath,
    timeout: 1,
    ...extra,
    autoApprove: extra.autoApprove ?? true,
  };
}

/** Opens the backend with the files the configuration boundary would have read for `config`. */
async function openBackend(config: DogtagRaConfig, options: DogtagRaOptions = {}): Promise<DogtagRaBackend> {
  const caBundlePem = config.caBundle === undefined ? undefined : await Deno.readTextFile(config.caBundle);
  return DogtagRaBackend.open(config, {
    ...options,
    files: { caBundlePem, identity: await loadClientIdentity(config) },
  });
}

async function withBackend(
  test: (ca: FakeDogtagCa, backend: DogtagRaBackend, seen: [string, boolean][]) => Promise<void>,
  options: DogtagRaOptions = {},
  caOptions: Parameters<typeof FakeDogtagCa.start>[0] = {},
): Promise<void> {
  const ca = await FakeDogtagCa.start(caOptions);
  const seen: [string, boolean][] = [];
  const backend = await openBackend(configFor(ca), {
    observe: (call, _seconds, ok) => seen.push([call, ok]),
    retry: { attempts: 2, baseDelayMs: 5 },
    ...options,
  });
  try {
    await test(ca, backend, seen);
  } finally {
    await backend.close();
    await ca.close();
  }
}

const alice = {
  principal: { name: "alice", fullName: "Administrator", roles: ["estclient"], method: "password" as const },
  requestId: "req-1",
  remoteAddr: "127.0.0.1",
  issuance: {},
};

Deno.test("dogtag backend: CA chains are cached per authority for the TTL", opts, async () => {
  await withBackend(async (ca, backend, seen) => {
    const sub = await ca.pki.addAuthority("CN=Lightweight CA");
    const host = await backend.caCerts(undefined);
    assert.deepEqual(host, [new Uint8Array(ca.pki.host.cert.rawData)]);
    await Promise.all([backend.caCerts(undefined), backend.caCerts(undefined)]);
    assert.equal((await backend.caCerts(sub.id)).length, 2);
    assert.equal(ca.callsTo("GET", /chain$/).length, 2, "one fetch per authority");
    await new Promise((r) => setTimeout(r, 250));
    await backend.caCerts(undefined);
    assert.equal(ca.callsTo("GET", /host-authority\/chain$/).length, 2, "fetched again after the TTL");
    assert.deepEqual(seen, [["chain", true], ["chain", true], ["chain", true]]);
    assert.equal(backend.acceptsUndeclaredLabel(), true);
  }, { chainCacheTtlMs: 200 });
});

Deno.test(
  "dogtag backend: chain errors keep the CA's code; a chain that is not PKCS#7 is a 500",
  opts,
  async () => {
    await withBackend(async (ca, backend) => {
      await assert.rejects(
        backend.caCerts("iot"),
        (e) => e instanceof Error && (e as BadRequestError).status === 400,
      );
      await assert.rejects(
        backend.caCerts(crypto.randomUUID()),
        (e) => (e as InternalError).status === 404 && /^CA not found: /.test((e as Error).message),
      );
      ca.inject("GET", /chain$/, { status: 200, text: "hello", contentType: "application/x-pem-file" });
      await assert.rejects(
        backend.caCerts(undefined),
        (e) =>
          e instanceof InternalError &&
          e.message === "Internal error in /cacerts: no PKCS7 PEM block in the CA's chain",
      );
      ca.inject("GET", /chain$/, { status: 200, text: "-----BEGIN PKCS7-----\nMAA=\n-----END PKCS7-----\n" });
      await assert.rejects(backend.caCerts(undefined), /^InternalError|Internal error in \/cacerts: /);
      ca.inject("GET", /chain$/, { status: 503 }, 2);
      await assert.rejects(backend.caCerts(undefined), (e) => e instanceof UnavailableError);
    });
  },
);

Deno.test("dogtag backend: health follows the CA and recovers when it is back", opts, async () => {
  await withBackend(async (ca, backend, seen) => {
    assert.deepEqual(await backend.health(), { ok: true });
    ca.inject("GET", /chain$/, { status: 500 });
    assert.deepEqual(await backend.health(), { ok: false, detail: "the CA answered HTTP 500" });
    await ca.stop();
    assert.deepEqual(await backend.health(), { ok: false, detail: "the CA is unreachable" });
    await ca.restart();
    assert.deepEqual(await backend.health(), { ok: true });
    assert.deepEqual(seen.map(([call]) => call), ["health", "health", "health", "health"]);
  });
});

Deno.test("dogtag backend: a pending request is reviewed and approved as an agent", opts, async () => {
  await withBackend(
    async (ca, backend) => {
      const tmp = await tempDir();
      const csr = await parseCsr((await makeCsr(tmp, "/CN=Administrator")).csrDer, { minRsaBits: 2048 });
      const issued = await backend.enroll(csr, alice);
      assert.equal(issued.serialHex.length > 0, true);
      assert.deepEqual(
        ca.requests.map((r) => `${r.method} ${r.path.replace(/0x[0-9a-f]+/, "ID")}`),
        [
          "GET /ca/v2/account/login",
          "GET /ca/v2/account/login",
          "GET /ca/v2/certrequests/profiles/estServiceCert",
          "POST /ca/v2/certrequests",
          "GET /ca/v2/agent/certrequests/ID",
          "POST /ca/v2/agent/certrequests/ID/approve",
          "GET /ca/v2/certrequests/ID",
          "GET /ca/v2/certs/ID",
        ],
      );
      assert.ok(ca.requests.every((r) => r.headers["x-request-id"] === "req-1"));
      assert.ok(
        ca.requests.slice(2).every((r) => /JSESSIONID=/.test(String(r.headers.cookie))),
        "the session goes along",
      );
      await assert.rejects(
        backend.enroll(csr, { ...alice, label: "not-a-uuid" }),
        (e) => e instanceof BadRequestError && e.message === "Bad AuthorityID: not-a-uuid",
      );
      const again = await backend.reenroll(csr, issued.der, alice);
      assert.notEqual(again.serialHex, issued.serialHex);
    },
    {},
    { approval: "agent" },
  );
});

Deno.test(
  "dogtag backend: full CMC needs fullcmc.profile; a bad CMC status header is a 500",
  opts,
  async () => {
    await withBackend(async (_ca, backend) => {
      await assert.rejects(
        backend.fullCmc(new Uint8Array([0x30, 0]), alice),
        (e) =>
          e instanceof InternalError &&
          e.message === "No /fullcmc profile configured (set fullcmc.profile in backend.conf)",
      );
    });
    const ca = await FakeDogtagCa.start();
    const agent = await ca.writeIdentity("agent", "CN=agent", { agent: true });
    const backend = await openBackend(
      configFor(ca, {
        "fullcmc.profile": "estFullcmcDeviceCert",
        username: undefined,
        password: undefined,
        clientCertFile: agent.certPath,
        clientKeyFile: agent.keyPath,
      }),
    );
    try {
      ca.inject("POST", /profileSubmitCMCFull/, { cmcStatus: "zero" });
      await assert.rejects(
        backend.fullCmc(new Uint8Array([0x30, 0]), alice),
        /Invalid CMC status from backend: zero/,
      );
    } finally {
      await backend.close();
      await ca.close();
    }
  },
);
